package io.editdb.store;

import static io.editdb.store.StoreException.Kind.INVALID_VALUE;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A host layer: one module of one model that edits attach to. It fixes the shapes, the key
 * dimensions and the routing parameters. Immutable; validated once, in {@link Builder#build()}.
 *
 * <pre>{@code
 * Layer spec = Layer.builder("llava_l21", "llava-1.5-7b", "model.layers.21", 4096, 4096, 4096, 384)
 *     .optExpertKind(ExpertKind.LIVEEDIT)
 *     .optVisualSimilarity(Similarity.MAX_INNER_PRODUCT)
 *     .optVisualScale(0.25)
 *     .build();
 * }</pre>
 *
 * <p>Defaults of the optional parameters (chosen from the lifelong-editing benchmark, see README):
 * expert_kind LORA, max_rank 64, visual_similarity COSINE, visual_scale 1, visual_threshold 0.8,
 * max_candidates 16, text_similarity COSINE, text_scale 30, gate SOFTMAX, temperature 1,
 * null_logit 12, min_gate 0.01, top_k 4 (0 keeps all). SOFTMAX because it alone can send a
 * query's weight to "no edit" when an unrelated question comes with an edited image.
 *
 * <p>{@code host} (null for none) names the host model the layer is bound to, through which an
 * edit's keys and expert can be computed from an image ({@code io.editdb.query.HostBinding});
 * {@code maker} (null for none, else upper case, e.g. FIT) names the expert maker it uses.
 *
 * <p>{@code visual_weight} (default 0, schema version 6) takes from each candidate's gate logit how
 * far its visual score is behind the best candidate's: s = text_scale * text - visual_weight *
 * (best visual - visual). At 0 the gates come from the text alone, as in LiveEdit; above it, of
 * candidates asked the same question the one whose picture is closest wins, while the closest
 * one's logit is what its text gives.
 */
public record Layer(
    int id,
    String name,
    String model,
    String module,
    int dIn,
    int dOut,
    int visualDim,
    int textDim,
    ExpertKind expertKind,
    int maxRank,
    Similarity visualSimilarity,
    double visualScale,
    double visualThreshold,
    int maxCandidates,
    Similarity textSimilarity,
    double textScale,
    GateMode gate,
    double temperature,
    double nullLogit,
    double minGate,
    int topK,
    long createdVersion,
    String host,
    String maker,
    double visualWeight) {

  /** Largest key dimension (LiveEdit's 4 slots of 1024). */
  public static final int MAX_KEY_DIM = 4096;
  /** Largest hidden width. */
  public static final int MAX_WIDTH = 65536;
  /** Largest rank of an expert. */
  public static final int MAX_RANK = 1024;
  /** Largest max_candidates and top_k. */
  public static final int MAX_CANDIDATES = 1024;

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final Pattern MAKER = Pattern.compile("[A-Z][A-Z0-9_]{0,31}");

  /** True if the layer has visual keys; else the text key does the filtering. */
  /** The similarity of the hard filter: the visual key's, or the text key's on a text-only layer. */
  public Similarity filterSimilarity() {
    return hasVisual() ? visualSimilarity() : textSimilarity();
  }

  public boolean hasVisual() {
    return visualDim > 0;
  }

  /** Layers are created by the store; this attaches the id and version it assigned. */
  Layer withIdentity(int newId, long version) {
    return new Layer(newId, name, model, module, dIn, dOut, visualDim, textDim, expertKind,
        maxRank, visualSimilarity, visualScale, visualThreshold, maxCandidates, textSimilarity,
        textScale, gate, temperature, nullLogit, minGate, topK, version, host, maker,
        visualWeight);
  }

  /** True if the layer is bound to a host model. */
  public boolean hasHost() {
    return host != null;
  }

  public static Builder builder(
      String name, String model, String module, int dIn, int dOut, int visualDim, int textDim) {
    return new Builder(name, model, module, dIn, dOut, visualDim, textDim);
  }

  /** Builder: required values in the factory, optional ones as {@code optX}. */
  public static final class Builder {
    private final String name;
    private final String model;
    private final String module;
    private final int dIn;
    private final int dOut;
    private final int visualDim;
    private final int textDim;
    private ExpertKind expertKind = ExpertKind.LORA;
    private int maxRank = 64;
    private Similarity visualSimilarity = Similarity.COSINE;
    private double visualScale = 1.0;
    private double visualThreshold = 0.8;
    private int maxCandidates = 16;
    private Similarity textSimilarity = Similarity.COSINE;
    private double textScale = 30.0;
    private GateMode gate = GateMode.SOFTMAX;
    private double temperature = 1.0;
    private double nullLogit = 12.0;
    private double minGate = 0.01;
    private int topK = 4;
    private String host;
    private String maker;
    private double visualWeight = 0.0;

    private Builder(
        String name, String model, String module, int dIn, int dOut, int visualDim, int textDim) {
      this.name = name;
      this.model = model;
      this.module = module;
      this.dIn = dIn;
      this.dOut = dOut;
      this.visualDim = visualDim;
      this.textDim = textDim;
    }

    public Builder optExpertKind(ExpertKind v) { expertKind = v; return this; }
    public Builder optMaxRank(int v) { maxRank = v; return this; }
    public Builder optVisualSimilarity(Similarity v) { visualSimilarity = v; return this; }
    public Builder optVisualScale(double v) { visualScale = v; return this; }
    public Builder optVisualThreshold(double v) { visualThreshold = v; return this; }
    public Builder optMaxCandidates(int v) { maxCandidates = v; return this; }
    public Builder optTextSimilarity(Similarity v) { textSimilarity = v; return this; }
    public Builder optTextScale(double v) { textScale = v; return this; }
    public Builder optGate(GateMode v) { gate = v; return this; }
    public Builder optTemperature(double v) { temperature = v; return this; }
    public Builder optNullLogit(double v) { nullLogit = v; return this; }
    public Builder optMinGate(double v) { minGate = v; return this; }
    public Builder optTopK(int v) { topK = v; return this; }
    public Builder optHost(String v) { host = v; return this; }
    public Builder optMaker(String v) { maker = v; return this; }
    public Builder optVisualWeight(double v) { visualWeight = v; return this; }

    /** Validates every value (rule, value, fix in the message) and builds the layer. */
    public Layer build() {
      if (name == null || !NAME.matcher(name).matches()) {
        throw bad("layer name must be a letter or '_' followed by up to 127 letters, digits or"
            + " '_'; name=" + name + ". Choose a name like llava_l21");
      }
      text("model", model);
      text("module", module);
      range("d_in", dIn, 1, MAX_WIDTH);
      range("d_out", dOut, 1, MAX_WIDTH);
      range("visual_dim", visualDim, 0, MAX_KEY_DIM);
      range("text_dim", textDim, 1, MAX_KEY_DIM);
      range("max_rank", maxRank, 1, MAX_RANK);
      range("max_candidates", maxCandidates, 1, MAX_CANDIDATES);
      range("top_k", topK, 0, MAX_CANDIDATES);
      positive("visual_scale", visualScale);
      positive("text_scale", textScale);
      positive("temperature", temperature);
      finite("null_logit", nullLogit);
      if (!(visualWeight >= 0) || Double.isInfinite(visualWeight)) {
        throw bad("visual_weight must be a finite number >= 0; visual_weight=" + visualWeight
            + ". Use 0 (gates from the text alone, LiveEdit's routing) or e.g. 50");
      }
      if (!(minGate >= 0 && minGate < 1)) {
        throw bad("min_gate must be in [0, 1); min_gate=" + minGate + ". Use e.g. 0.01");
      }
      if (expertKind == null || visualSimilarity == null || textSimilarity == null || gate == null) {
        throw bad("expert_kind, similarities and gate must not be null");
      }
      (visualDim == 0 ? textSimilarity : visualSimilarity)
          .checkThreshold("visual_threshold", visualThreshold);
      if (host != null) {
        text("host", host);
      }
      if (maker != null && (host == null || !MAKER.matcher(maker).matches())) {
        throw bad(host == null
            ? "maker needs a host to make experts with; maker=" + maker + ", host=null. Give"
                + " HOST too, or leave MAKER out"
            : "maker must be an upper-case word of up to 32 letters, digits or '_'; maker="
                + maker + ". Use e.g. FIT");
      }
      return new Layer(0, name, model, module, dIn, dOut, visualDim, textDim, expertKind, maxRank,
          visualSimilarity, visualScale, visualThreshold, maxCandidates, textSimilarity, textScale,
          gate, temperature, nullLogit, minGate, topK, 0, host, maker, visualWeight);
    }

    private static void text(String what, String v) {
      if (v == null || v.isBlank() || v.length() > 512) {
        throw bad(what + " must be 1 to 512 characters; " + what + "=" + v
            + ". Give the host model's name and module path");
      }
    }

    private static void range(String what, int v, int lo, int hi) {
      if (v < lo || v > hi) {
        throw bad(String.format(Locale.ROOT, "%s must be between %d and %d; %s=%d", what, lo, hi,
            what, v));
      }
    }

    private static void positive(String what, double v) {
      if (!(v > 0) || !Double.isFinite(v)) {
        throw bad(what + " must be a finite number above 0; " + what + "=" + v);
      }
    }

    private static void finite(String what, double v) {
      if (!Double.isFinite(v)) {
        throw bad(what + " must be a finite number; " + what + "=" + v);
      }
    }

    private static StoreException bad(String msg) {
      return new StoreException(INVALID_VALUE, msg);
    }
  }
}
