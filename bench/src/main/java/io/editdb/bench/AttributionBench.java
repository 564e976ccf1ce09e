package io.editdb.bench;

import io.editdb.model.Attribution;
import io.editdb.model.SceneHost;
import io.editdb.model.Scenes;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The attribution check on the drawings (issue 15): how often the top-k visual tokens of integrated
 * gradients and of noise perturbation cover the object the question asks about, per layer, against
 * tokens drawn at random; and the layer profile (share of |IG| on visual tokens). Prints a table
 * and writes {@code attribution.csv} and {@code layer-profile.png} to {@code --out}.
 *
 * <pre>{@code
 * AttributionBench --n 100 --k 2 --steps 32 --out target/attribution
 * }</pre>
 */
public final class AttributionBench {
  private AttributionBench() {}

  public static void main(String[] args) throws IOException {
    int n = 100;
    int k = 2;
    int steps = Attribution.Options.DEFAULT_STEPS;
    Path out = Path.of("target/attribution");
    for (int i = 0; i < args.length; i++) {
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--n" -> n = Integer.parseInt(need(args[i], v));
        case "--k" -> k = Integer.parseInt(need(args[i], v));
        case "--steps" -> steps = Integer.parseInt(need(args[i], v));
        case "--out" -> out = Path.of(need(args[i], v));
        default ->
            throw new IllegalArgumentException(
                "unknown option " + args[i] + "; use --n N --k K --steps S --out DIR");
      }
      i++;
    }
    Scenes scenes = Scenes.standard();
    Attribution.Localisation loc;
    long t0 = System.nanoTime();
    try (SceneHost host = SceneHost.load()) {
      Attribution a = new Attribution(host, Attribution.Options.defaults().withSteps(steps));
      loc = a.localisation(host, scenes, n, k);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    StringBuilder csv =
        new StringBuilder(
            "layer,k,samples,ig_top_k_inside,noise_top_k_inside,"
                + "random_top_k_inside,ig_visual_share\n");
    System.out.printf(
        Locale.ROOT,
        "attribution on %d test samples (ENTITY + OBJECTS), top-%d "
            + "visual tokens inside the asked object's box, IG %d steps%n",
        loc.samples(),
        k,
        steps);
    System.out.printf(
        Locale.ROOT, "%-9s %8s %8s %8s %14s%n", "layer", "IG", "noise", "random", "|IG| on visual");
    for (int l = 0; l < loc.layers().size(); l++) {
      System.out.printf(
          Locale.ROOT,
          "%-9s %8.3f %8.3f %8.3f %14.3f%n",
          loc.layers().get(l),
          loc.integratedGradients()[l],
          loc.noise()[l],
          loc.random()[l],
          loc.visualShare()[l]);
      csv.append(
          String.format(
              Locale.ROOT,
              "%s,%d,%d,%.4f,%.4f,%.4f,%.4f%n",
              loc.layers().get(l),
              k,
              loc.samples(),
              loc.integratedGradients()[l],
              loc.noise()[l],
              loc.random()[l],
              loc.visualShare()[l]));
    }
    System.out.printf(
        Locale.ROOT,
        "IG completeness gap (mean |sum - dlogit| / |dlogit|): %.5f; "
            + "%.1f ms per attribution (IG + noise, one layer); %.1f s in all%n",
        loc.completenessGap(),
        loc.millisPerAttribution(),
        seconds);
    Files.createDirectories(out);
    Files.writeString(out.resolve("attribution.csv"), csv, StandardCharsets.UTF_8);
    chart(out.resolve("layer-profile.png"), loc);
    System.out.println(
        "wrote " + out.resolve("attribution.csv") + " and " + out.resolve("layer-profile.png"));
  }

  private static String need(String option, String value) {
    if (value == null) {
      throw new IllegalArgumentException(option + " needs a value; e.g. " + option + " 10");
    }
    return value;
  }

  /** Grouped bars per layer: visual share of |IG|, and the IG / noise / random hit rates. */
  private static void chart(Path file, Attribution.Localisation loc) throws IOException {
    int w = 760;
    int h = 420;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, w, h);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
      g.drawString(
          "Attribution by layer (" + loc.samples() + " test drawings, top-" + loc.k() + ")",
          20,
          26);
      int left = 60;
      int top = 50;
      int ph = 280;
      int pw = w - left - 30;
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      g.setStroke(new BasicStroke(1f));
      for (int t = 0; t <= 4; t++) {
        int y = top + ph - ph * t / 4;
        g.setColor(new Color(0xdddddd));
        g.drawLine(left, y, left + pw, y);
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "%.2f", t / 4.0), 22, y + 4);
      }
      String[] labels = {
        "|IG| share on visual tokens",
        "IG top-k inside box",
        "noise top-k inside box",
        "random top-k inside box"
      };
      Color[] colors = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0x999999)
      };
      int layers = loc.layers().size();
      int group = pw / layers;
      int bar = (group - 40) / labels.length;
      for (int l = 0; l < layers; l++) {
        double[] vs = {
          loc.visualShare()[l], loc.integratedGradients()[l], loc.noise()[l], loc.random()[l]
        };
        int gx = left + l * group + 20;
        for (int s = 0; s < vs.length; s++) {
          int bh = (int) Math.round(ph * Math.max(0, Math.min(1, vs[s])));
          g.setColor(colors[s]);
          g.fillRect(gx + s * bar, top + ph - bh, bar - 4, bh);
          g.setColor(Color.BLACK);
          g.drawString(
              String.format(Locale.ROOT, "%.2f", vs[s]), gx + s * bar + 2, top + ph - bh - 3);
        }
        g.drawString(loc.layers().get(l), gx + group / 2 - 40, top + ph + 16);
      }
      int ly = top + ph + 36;
      for (int s = 0; s < labels.length; s++) {
        int lx = left + (s % 2) * 330;
        int yy = ly + (s / 2) * 18;
        g.setColor(colors[s]);
        g.fillRect(lx, yy - 10, 12, 12);
        g.setColor(Color.BLACK);
        g.drawString(labels[s], lx + 18, yy);
      }
    } finally {
      g.dispose();
    }
    ImageIO.write(img, "png", file.toFile());
  }
}
