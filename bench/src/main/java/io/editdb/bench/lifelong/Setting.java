package io.editdb.bench.lifelong;

import io.editdb.query.TextEncoder;
import io.editdb.store.GateMode;
import io.editdb.store.Layer;
import io.editdb.store.LayerOption;
import java.util.Locale;

/**
 * The routing parameters the benchmark sweeps; everything else keeps the layer defaults
 * (max_candidates 16, min_gate 0.01, top_k 4, COSINE similarities, visual_scale 1).
 *
 * <p>Temperature is not swept: with s = text_scale * sim, SOFTMAX gates depend only on text_scale /
 * T and null_logit / T, so T = 1 loses nothing. null_logit is best read as {@code null_logit /
 * text_scale}: the text similarity at which a lone candidate gets gate 0.5.
 */
public record Setting(
    GateMode gate, double visualThreshold, double textScale, double temperature, double nullLogit) {
  public static final int D = 8; // tiny experts: weights play no part in routing

  /**
   * The layer defaults of Layer.Builder for the mode (what the benchmark compares against), read
   * from the builder itself so that they cannot drift apart.
   */
  public static Setting defaults(GateMode gate) {
    Layer d = Layer.builder("defaults", "m", "x", 1, 1, 1, 1).opt(LayerOption.GATE, gate).build();
    return new Setting(gate, d.visualThreshold(), d.textScale(), d.temperature(), d.nullLogit());
  }

  /** A layer spec with this setting. */
  public Layer layer(String name, LayerKind kind) {
    return Layer.builder(
            name, "lifelong-bench", "synthetic", D, D, kind.visualDim(), TextEncoder.DIMENSION)
        .opt(LayerOption.MAX_RANK, 1)
        .opt(LayerOption.GATE, gate)
        .opt(LayerOption.VISUAL_THRESHOLD, visualThreshold)
        .opt(LayerOption.TEXT_SCALE, textScale)
        .opt(LayerOption.TEMPERATURE, temperature)
        .opt(LayerOption.NULL_LOGIT, nullLogit)
        .build();
  }

  /** Human-readable, only the parameters that matter for the mode. */
  public String label() {
    String s =
        String.format(
            Locale.ROOT, "threshold %.2f, text_scale %s", visualThreshold, num(textScale));
    return gate == GateMode.SOFTMAX
        ? s
            + String.format(
                Locale.ROOT,
                ", null_logit %s (= %.2f x text_scale), T %s",
                num(nullLogit),
                nullLogit / textScale,
                num(temperature))
        : s;
  }

  static String num(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.3g", v);
  }
}
