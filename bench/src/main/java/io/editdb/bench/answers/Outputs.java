package io.editdb.bench.answers;

import io.editdb.bench.answers.AnswerBench.Row;
import io.editdb.bench.answers.EditCase.ProbeKind;
import io.editdb.bench.answers.Scores.Cell;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** The benchmark's files: results.csv, sweep.csv, results.md and answers.png. */
final class Outputs {
  private static final Color[] COLORS = {
    new Color(0x1f77b4),
    new Color(0xff7f0e),
    new Color(0x2ca02c),
    new Color(0xd62728),
    new Color(0x9467bd),
    new Color(0x8c564b),
    new Color(0xe377c2),
    new Color(0x7f7f7f)
  };
  private static final int PW = 380;
  private static final int PH = 300;

  private Outputs() {}

  static void write(Path dir, List<Row> rows, int edits) throws IOException {
    Files.writeString(dir.resolve("results.csv"), csv(rows, "test"));
    Files.writeString(dir.resolve("sweep.csv"), csv(rows, "validation"));
    Files.writeString(dir.resolve("results.md"), markdown(rows, edits));
    chart(dir.resolve("answers.png"), rows, edits);
  }

  static String csv(List<Row> rows, String split) {
    StringBuilder sb = new StringBuilder("split,method,setting,router,edits");
    for (ProbeKind k : ProbeKind.values()) {
      String c = k.name().toLowerCase(Locale.ROOT);
      sb.append(',')
          .append(c)
          .append(',')
          .append(c)
          .append("_lo,")
          .append(c)
          .append("_hi,")
          .append(c)
          .append("_routed");
    }
    sb.append(",ms_per_edit,ms_per_query\n");
    for (Row r : rows) {
      if (!r.split().equals(split)) {
        continue;
      }
      sb.append(r.split())
          .append(",\"")
          .append(r.method())
          .append("\",\"")
          .append(r.setting())
          .append("\",")
          .append(r.router())
          .append(',')
          .append(r.edits());
      for (ProbeKind k : ProbeKind.values()) {
        Cell a = r.answers()[k.ordinal()];
        sb.append(
            String.format(
                Locale.ROOT,
                ",%.4f,%.4f,%.4f,%.4f",
                a.rate(),
                a.lo(),
                a.hi(),
                r.routing()[k.ordinal()].rate()));
      }
      sb.append(String.format(Locale.ROOT, ",%.2f,%.3f%n", r.msPerEdit(), r.msPerQuery()));
    }
    return sb.toString();
  }

  /** The README's table: every method after 1,000 edits (if run) and after all of them. */
  static String markdown(List<Row> rows, int edits) {
    StringBuilder sb = new StringBuilder("| method | setting (from validation) | router | edits |");
    for (ProbeKind k : ProbeKind.values()) {
      sb.append(' ').append(k.label).append(" |");
    }
    sb.append(" ms/edit |\n|---|---|---|---|");
    sb.append("---|".repeat(ProbeKind.values().length)).append("---|\n");
    for (Row r : rows) {
      if (!r.split().equals("test") || (r.edits() != edits && r.edits() != 1000)) {
        continue;
      }
      sb.append("| ")
          .append(r.method())
          .append(" | ")
          .append(r.setting())
          .append(" | ")
          .append(r.router())
          .append(" | ")
          .append(r.edits())
          .append(" |");
      for (ProbeKind k : ProbeKind.values()) {
        Cell a = r.answers()[k.ordinal()];
        Cell t = r.routing()[k.ordinal()];
        sb.append(' ').append(a.text()).append(' ').append(a.interval());
        if (!Double.isNaN(t.rate())) {
          sb.append(" (").append(t.text()).append(')');
        }
        sb.append(" |");
      }
      sb.append(String.format(Locale.ROOT, " %.1f |%n", r.msPerEdit()));
    }
    sb.append(
        "\nEach cell: answer accuracy, its bootstrap 95% interval, and in parentheses the"
            + " routing-level figure (the edit's own expert routed first for Rel/T-Gen/M-Gen;"
            + " nothing routed for the locality probes).\n");
    return sb.toString();
  }

  /** One panel per probe, one line per method and router, intervals as bars. */
  static void chart(Path file, List<Row> rows, int edits) throws IOException {
    Map<String, List<Row>> lines = new LinkedHashMap<>();
    for (Row r : rows) {
      if (r.split().equals("test")) {
        lines.computeIfAbsent(r.method() + " (" + r.router() + ")", x -> new ArrayList<>()).add(r);
      }
    }
    int cols = 4;
    int panels = ProbeKind.values().length;
    int legendH = 22 * lines.size() + 20;
    BufferedImage img =
        new BufferedImage(
            cols * PW,
            60 + ((panels + cols - 1) / cols) * PH + legendH,
            BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString(
        "Edited host's answers after n sequential edits (test split; bars: bootstrap 95%"
            + " intervals)",
        20, 30);
    double maxLog = Math.log10(Math.max(10, edits));
    for (ProbeKind k : ProbeKind.values()) {
      int px = (k.ordinal() % cols) * PW;
      int py = 50 + (k.ordinal() / cols) * PH;
      int x0 = px + 50;
      int y0 = py + PH - 40;
      int w = PW - 70;
      int h = PH - 70;
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
      g.drawString(
          k.label + (k.wantsTarget ? " (gives the target)" : " (answer kept)"), x0, py + 20);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      g.drawRect(x0, y0 - h, w, h);
      for (int t = 0; t <= 4; t++) {
        int y = y0 - t * h / 4;
        g.setColor(new Color(0xe0e0e0));
        g.drawLine(x0 + 1, y, x0 + w - 1, y);
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "%.2f", t / 4.0), x0 - 32, y + 4);
      }
      for (int e = 1; e <= edits; e *= 10) {
        int x = x0 + (int) (w * Math.log10(e) / maxLog);
        g.drawString(String.valueOf(e), x - 8, y0 + 15);
      }
      g.drawString("edits (log)", x0 + w / 2 - 25, y0 + 30);
      int li = 0;
      for (List<Row> line : lines.values()) {
        Color c = COLORS[li % COLORS.length];
        g.setColor(c);
        g.setStroke(new BasicStroke(2f));
        int dodge = (li - lines.size() / 2) * 2;
        int lx = -1;
        int ly = -1;
        for (Row r : line) {
          Cell a = r.answers()[k.ordinal()];
          int x = x0 + (int) (w * Math.log10(r.edits()) / maxLog) + dodge;
          int y = y0 - (int) (h * a.rate());
          g.drawLine(x, y0 - (int) (h * a.lo()), x, y0 - (int) (h * a.hi()));
          g.fillOval(x - 3, y - 3, 6, 6);
          if (lx >= 0) {
            g.drawLine(lx, ly, x, y);
          }
          lx = x;
          ly = y;
        }
        li++;
      }
      g.setStroke(new BasicStroke(1f));
    }
    int ly = 60 + ((panels + cols - 1) / cols) * PH;
    int li = 0;
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    for (String name : lines.keySet()) {
      g.setColor(COLORS[li % COLORS.length]);
      g.fillRect(30, ly + li * 22 - 10, 24, 10);
      g.setColor(Color.BLACK);
      g.drawString(name, 62, ly + li * 22);
      li++;
    }
    g.dispose();
    if (!ImageIO.write(img, "png", file.toFile())) {
      throw new IOException("no PNG writer in this JVM");
    }
  }
}
