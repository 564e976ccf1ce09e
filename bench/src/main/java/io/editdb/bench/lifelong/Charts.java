package io.editdb.bench.lifelong;

import io.editdb.bench.lifelong.SequentialRun.Row;
import io.editdb.store.SearchMode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * PNG charts in plain Java2D (headless): success rate per metric against the number of edits, one
 * panel per layer configuration; and routing latency against the number of edits, one panel per
 * router. The x axis is logarithmic because the checkpoints are (1, 10, 100, 1000).
 */
public final class Charts {
  private static final Color[] METRIC_COLORS = {
    new Color(0x1f77b4),
    new Color(0xff7f0e),
    new Color(0x2ca02c),
    new Color(0xd62728),
    new Color(0x9467bd)
  };
  private static final Color[] CONFIG_COLORS = {
    new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd)
  };
  private static final int PW = 470;
  private static final int PH = 340;
  private static final Stroke SOLID = new BasicStroke(2.2f);
  private static final Stroke DASHED =
      new BasicStroke(
          2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 5f}, 0f);

  private Charts() {}

  /** A line: its label, colour, style and points. */
  record Series(String label, Color color, boolean dashed, int dodge, double[] xs, double[] ys) {}

  /**
   * metrics.png: one panel per configuration, layer kinds in rows, gate mode x router in columns.
   * Markers of the metrics are nudged sideways so that equal values stay visible.
   */
  public static void metrics(Path file, List<Row> rows, String title, String note, int maxN)
      throws IOException {
    double lowest = 1;
    for (Row r : rows) {
      for (double v : r.rates()) {
        lowest = Double.isNaN(v) ? lowest : Math.min(lowest, v);
      }
    }
    double yMin = lowest >= 0.5 ? 0.5 : 0; // zoom in when everything is at least 1/2
    List<LayerConfig> configs = LayerConfig.all();
    int cols = configs.size() / LayerKind.values().length * SequentialRun.ROUTERS.length;
    BufferedImage img = canvas(cols * PW, LayerKind.values().length * PH + 130);
    Graphics2D g = graphics(img);
    header(g, title, note);
    int[] slot = new int[LayerKind.values().length];
    for (LayerConfig cfg : configs) {
      for (SearchMode router : SequentialRun.ROUTERS) {
        List<Row> rs = select(rows, cfg, router);
        List<Series> series = new ArrayList<>();
        for (Metric m : Metric.values()) {
          if (m.appliesTo(cfg.kind())) {
            series.add(
                new Series(
                    m.label(),
                    METRIC_COLORS[m.ordinal()],
                    false,
                    (m.ordinal() - 2) * 4,
                    xs(rs),
                    rs.stream().mapToDouble(r -> r.rates()[m.ordinal()]).toArray()));
          }
        }
        int row = cfg.kind().ordinal();
        int col = slot[row]++;
        panel(
            g,
            col * PW,
            70 + row * PH,
            cfg.label() + ", " + router + (cfg.kind().visual() ? "" : "  (M-Gen n/a)"),
            rs.isEmpty() ? "" : rs.get(0).setting().label(),
            series,
            yMin,
            1.0,
            false,
            "success rate",
            maxN);
      }
    }
    int ly = 70 + LayerKind.values().length * PH + 24;
    int x = 80;
    for (Metric m : Metric.values()) {
      x = legend(g, x, ly, m.label(), METRIC_COLORS[m.ordinal()], false) + 30;
    }
    write(img, g, file);
  }

  /** latency.png: one panel per router; median solid, p99 dashed, one colour per layer. */
  public static void latency(Path file, List<Row> rows, String title, String note, int maxN)
      throws IOException {
    List<LayerConfig> configs = LayerConfig.all();
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (Row r : rows) {
      if (!Double.isNaN(r.medianMs())) {
        lo = Math.min(lo, r.medianMs());
        hi = Math.max(hi, r.p99Ms());
      }
    }
    // Log scale, whole decades: medians and tails differ by orders of magnitude.
    double yMin = Math.pow(10, Math.floor(Math.log10(lo == Double.MAX_VALUE ? 0.01 : lo)));
    double yMax = Math.pow(10, Math.ceil(Math.log10(Math.max(hi, yMin * 10))));
    BufferedImage img = canvas(2 * PW, PH + 130);
    Graphics2D g = graphics(img);
    header(g, title, note);
    for (int p = 0; p < SequentialRun.ROUTERS.length; p++) {
      SearchMode router = SequentialRun.ROUTERS[p];
      List<Series> series = new ArrayList<>();
      for (int i = 0; i < configs.size(); i++) {
        List<Row> rs = select(rows, configs.get(i), router);
        series.add(
            new Series(
                configs.get(i).label(),
                CONFIG_COLORS[i],
                false,
                (i - 2) * 3,
                xs(rs),
                rs.stream().mapToDouble(Row::medianMs).toArray()));
        series.add(
            new Series(
                configs.get(i).label(),
                CONFIG_COLORS[i],
                true,
                (i - 2) * 3,
                xs(rs),
                rs.stream().mapToDouble(Row::p99Ms).toArray()));
      }
      panel(
          g,
          p * PW,
          70,
          router + " router",
          "routing latency per query, ms (log scale)",
          series,
          yMin,
          yMax,
          true,
          "ms",
          maxN);
    }
    int ly = 70 + PH + 20;
    int x = 80;
    for (int i = 0; i < configs.size(); i++) {
      x = legend(g, x, ly, configs.get(i).label(), CONFIG_COLORS[i], false) + 30;
    }
    x = legend(g, 80, ly + 24, "median (solid, dots)", Color.DARK_GRAY, false) + 30;
    legend(g, x, ly + 24, "p99 (dashed, squares)", Color.DARK_GRAY, true);
    write(img, g, file);
  }

  private static List<Row> select(List<Row> rows, LayerConfig cfg, SearchMode router) {
    return rows.stream().filter(r -> r.config().equals(cfg) && r.router() == router).toList();
  }

  private static double[] xs(List<Row> rs) {
    return rs.stream().mapToDouble(Row::edits).toArray();
  }

  private static BufferedImage canvas(int w, int h) {
    return new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
  }

  private static Graphics2D graphics(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    return g;
  }

  private static void header(Graphics2D g, String title, String note) {
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    g.drawString(title, 20, 28);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    g.setColor(new Color(0x9a3412));
    g.drawString(note, 20, 52);
  }

  /**
   * One chart: axes, grid, x on a log scale from 1 to maxN, y linear or (yLog) over whole decades,
   * the series with markers.
   */
  private static void panel(
      Graphics2D g,
      int ox,
      int oy,
      String title,
      String subtitle,
      List<Series> series,
      double yMin,
      double yMax,
      boolean yLog,
      String yLabel,
      int maxN) {
    int left = ox + 70;
    int top = oy + 44;
    int w = PW - 95;
    int h = PH - 100;
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString(title, left, oy + 18);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.setColor(Color.DARK_GRAY);
    g.drawString(subtitle, left, oy + 34);
    double lx = Math.log10(Math.max(10, maxN));
    // y grid and labels: decades on a log axis, tenths (or fifths) on a linear one
    List<Double> yTicks = new ArrayList<>();
    if (yLog) {
      for (double v = yMin; v <= yMax * 1.0001; v *= 10) {
        yTicks.add(v);
      }
    } else {
      for (int i = 0; i <= 5; i++) {
        yTicks.add(yMin + (yMax - yMin) * i / 5);
      }
    }
    for (double v : yTicks) {
      int y = (int) Math.round(yPos(v, top, h, yMin, yMax, yLog));
      g.setColor(new Color(0xe5e5e5));
      g.drawLine(left, y, left + w, y);
      g.setColor(Color.DARK_GRAY);
      String s = yLog ? fmtMs(v) : String.format(Locale.ROOT, "%.1f", v);
      g.drawString(s, left - 8 - g.getFontMetrics().stringWidth(s), y + 4);
    }
    // x ticks: powers of ten and maxN
    List<Integer> ticks = new ArrayList<>();
    for (int t = 1; t <= maxN; t *= 10) {
      ticks.add(t);
    }
    if (!ticks.contains(maxN)) {
      ticks.add(maxN);
    }
    for (int t : ticks) {
      int x = left + (int) Math.round(w * Math.log10(t) / lx);
      g.setColor(new Color(0xe5e5e5));
      g.drawLine(x, top, x, top + h);
      g.setColor(Color.DARK_GRAY);
      String s = Integer.toString(t);
      int sw = g.getFontMetrics().stringWidth(s);
      // keep maxN's label from colliding with the power of ten just below it
      double frac = Math.log10(t) - Math.floor(Math.log10(t));
      boolean crowded = t == maxN && frac > 0 && frac < 0.15;
      g.drawString(s, x - sw / 2, top + h + (crowded ? 30 : 16));
    }
    g.setColor(Color.BLACK);
    g.drawRect(left, top, w, h);
    g.drawString("edits inserted (log scale)", left + w / 2 - 60, top + h + 44);
    Graphics2D r = (Graphics2D) g.create();
    r.rotate(-Math.PI / 2);
    r.drawString(yLabel, -(top + h / 2 + 30), ox + 16);
    r.dispose();
    Graphics2D clip = (Graphics2D) g.create();
    clip.setClip(new Rectangle2D.Double(left - 12, top - 8, w + 24, h + 16));
    for (Series s : series) {
      Path2D.Double path = new Path2D.Double();
      boolean started = false;
      clip.setColor(s.color());
      for (int i = 0; i < s.xs().length; i++) {
        if (Double.isNaN(s.ys()[i]) || (yLog && !(s.ys()[i] > 0))) {
          continue;
        }
        double x = left + w * Math.log10(s.xs()[i]) / lx + s.dodge();
        double y = yPos(s.ys()[i], top, h, yMin, yMax, yLog);
        if (started) {
          path.lineTo(x, y);
        } else {
          path.moveTo(x, y);
          started = true;
        }
        if (s.dashed()) {
          clip.setStroke(SOLID);
          clip.draw(new Rectangle2D.Double(x - 3.5, y - 3.5, 7, 7));
        } else {
          clip.fill(new Ellipse2D.Double(x - 4, y - 4, 8, 8));
        }
      }
      clip.setStroke(s.dashed() ? DASHED : SOLID);
      clip.draw(path);
      clip.setStroke(SOLID);
    }
    clip.dispose();
  }

  private static double yPos(double v, int top, int h, double yMin, double yMax, boolean log) {
    double f =
        log
            ? (Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))
            : (v - yMin) / (yMax - yMin);
    return top + h - h * f;
  }

  private static int legend(Graphics2D g, int x, int y, String label, Color c, boolean dashed) {
    g.setColor(c);
    g.setStroke(dashed ? DASHED : SOLID);
    g.drawLine(x, y, x + 34, y);
    g.setStroke(SOLID);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    g.drawString(label, x + 40, y + 5);
    return x + 40 + g.getFontMetrics().stringWidth(label);
  }

  private static String fmtMs(double v) {
    return v >= 1
        ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%." + (int) Math.ceil(-Math.log10(v) - 1e-9) + "f", v);
  }

  private static void write(BufferedImage img, Graphics2D g, Path file) throws IOException {
    g.dispose();
    if (!ImageIO.write(img, "png", file.toFile())) {
      throw new IOException("no PNG writer in this JDK for " + file);
    }
  }
}
