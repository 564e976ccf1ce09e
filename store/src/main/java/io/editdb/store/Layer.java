package io.editdb.store;

import static io.editdb.store.StoreException.Kind.INVALID_VALUE;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A host layer: one module of one model that edits attach to. It fixes the shapes, the key
 * dimensions and the routing parameters. Immutable; validated once, in {@link Builder#build()}.
 *
 * <pre>{@code
 * Layer spec = Layer.builder("llava_l21", "llava-1.5-7b", "model.layers.21", 4096, 4096, 4096, 384)
 *     .opt(LayerOption.EXPERT_KIND, ExpertKind.LIVEEDIT)
 *     .opt(LayerOption.VISUAL_SIMILARITY, Similarity.MAX_INNER_PRODUCT)
 *     .opt(LayerOption.VISUAL_SCALE, 0.25)
 *     .build();
 * }</pre>
 *
 * <p>The routing and expert options, their defaults (chosen from the lifelong-editing benchmark,
 * see README) and rules are declared in {@link LayerOption}. SOFTMAX gates by default because they
 * alone can send a query's weight to "no edit" when an unrelated question comes with an edited
 * image.
 *
 * <p>{@code host} (null for none) names the host model the layer is bound to, through which an
 * edit's keys and expert can be computed from an image ({@code io.editdb.query.HostBinding});
 * {@code maker} (null for none, else upper case, e.g. FIT) names the expert maker it uses.
 *
 * <p>{@code visual_weight} (default 0, schema version 6) takes from each candidate's gate logit how
 * far its visual score is behind the best candidate's: s = text_scale * text - visual_weight *
 * (best visual - visual). At 0 the gates come from the text alone, as in LiveEdit; above it, of
 * candidates asked the same question the one whose picture is closest wins, while the closest one's
 * logit is what its text gives.
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
    long createdVersion,
    String host,
    String maker,
    Map<LayerOption, Object> options) {

  /** Largest key dimension (LiveEdit's 4 slots of 1024). */
  static final int MAX_KEY_DIM = 4096;

  /** Largest hidden width. */
  static final int MAX_WIDTH = 65536;

  /** Largest rank of an expert. */
  public static final int MAX_RANK = 1024;

  /** Largest max_candidates and top_k. */
  public static final int MAX_CANDIDATES = 1024;

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final Pattern MAKER = Pattern.compile("[A-Z][A-Z0-9_]{0,31}");

  /** Every option, of its type and checked (a copy: the layer is immutable). */
  public Layer {
    EnumMap<LayerOption, Object> all = new EnumMap<>(LayerOption.class);
    for (LayerOption o : LayerOption.values()) {
      all.put(o, o.check(options.get(o)));
    }
    options = Collections.unmodifiableMap(all);
  }

  /** The value of an option ({@link LayerOption#type()}). */
  Object option(LayerOption o) {
    return options.get(o);
  }

  public ExpertKind expertKind() {
    return (ExpertKind) options.get(LayerOption.EXPERT_KIND);
  }

  public int maxRank() {
    return (Integer) options.get(LayerOption.MAX_RANK);
  }

  public Similarity visualSimilarity() {
    return (Similarity) options.get(LayerOption.VISUAL_SIMILARITY);
  }

  public double visualScale() {
    return (Double) options.get(LayerOption.VISUAL_SCALE);
  }

  public double visualThreshold() {
    return (Double) options.get(LayerOption.VISUAL_THRESHOLD);
  }

  public int maxCandidates() {
    return (Integer) options.get(LayerOption.MAX_CANDIDATES);
  }

  public Similarity textSimilarity() {
    return (Similarity) options.get(LayerOption.TEXT_SIMILARITY);
  }

  public double textScale() {
    return (Double) options.get(LayerOption.TEXT_SCALE);
  }

  public GateMode gate() {
    return (GateMode) options.get(LayerOption.GATE);
  }

  public double temperature() {
    return (Double) options.get(LayerOption.TEMPERATURE);
  }

  public double nullLogit() {
    return (Double) options.get(LayerOption.NULL_LOGIT);
  }

  public double minGate() {
    return (Double) options.get(LayerOption.MIN_GATE);
  }

  public int topK() {
    return (Integer) options.get(LayerOption.TOP_K);
  }

  public double visualWeight() {
    return (Double) options.get(LayerOption.VISUAL_WEIGHT);
  }

  /**
   * The similarity of the hard filter: the visual key's, or the text key's on a text-only layer.
   */
  public Similarity filterSimilarity() {
    return hasVisual() ? visualSimilarity() : textSimilarity();
  }

  /** True if the layer has visual keys; else the text key does the filtering. */
  public boolean hasVisual() {
    return visualDim > 0;
  }

  /** Layers are created by the store; this attaches the id and version it assigned. */
  Layer withIdentity(int newId, long version) {
    return new Layer(
        newId, name, model, module, dIn, dOut, visualDim, textDim, version, host, maker, options);
  }

  /** True if the layer is bound to a host model. */
  public boolean hasHost() {
    return host != null;
  }

  public static Builder builder(
      String name, String model, String module, int dIn, int dOut, int visualDim, int textDim) {
    return new Builder(name, model, module, dIn, dOut, visualDim, textDim);
  }

  /** Builder: required values in the factory, options with {@link #opt}, host and maker. */
  public static final class Builder {
    private final String name;
    private final String model;
    private final String module;
    private final int dIn;
    private final int dOut;
    private final int visualDim;
    private final int textDim;
    private final EnumMap<LayerOption, Object> options = new EnumMap<>(LayerOption.class);
    private String host;
    private String maker;

    private Builder(
        String name, String model, String module, int dIn, int dOut, int visualDim, int textDim) {
      this.name = name;
      this.model = model;
      this.module = module;
      this.dIn = dIn;
      this.dOut = dOut;
      this.visualDim = visualDim;
      this.textDim = textDim;
      for (LayerOption o : LayerOption.values()) {
        options.put(o, o.defaultValue());
      }
    }

    /** Sets an option; an int is taken for a Double option. Checked in {@link #build()}. */
    public Builder opt(LayerOption o, Object v) {
      options.put(
          o, v instanceof Integer i && o.type() == Double.class ? (Object) i.doubleValue() : v);
      return this;
    }

    public Builder optHost(String v) {
      host = v;
      return this;
    }

    public Builder optMaker(String v) {
      maker = v;
      return this;
    }

    /** Validates every value (rule, value, fix in the message) and builds the layer. */
    public Layer build() {
      if (name == null || !NAME.matcher(name).matches()) {
        throw bad(
            "layer name must be a letter or '_' followed by up to 127 letters, digits or"
                + " '_'; name="
                + name
                + ". Choose a name like llava_l21");
      }
      text("model", model);
      text("module", module);
      range("d_in", dIn, 1, MAX_WIDTH);
      range("d_out", dOut, 1, MAX_WIDTH);
      range("visual_dim", visualDim, 0, MAX_KEY_DIM);
      range("text_dim", textDim, 1, MAX_KEY_DIM);
      // The record checks every option's type and rule, in declaration order.
      Layer layer =
          new Layer(0, name, model, module, dIn, dOut, visualDim, textDim, 0, host, maker, options);
      layer.filterSimilarity().checkThreshold("visual_threshold", layer.visualThreshold());
      if (host != null) {
        text("host", host);
      }
      if (maker != null && (host == null || !MAKER.matcher(maker).matches())) {
        throw bad(
            host == null
                ? "maker needs a host to make experts with; maker="
                    + maker
                    + ", host=null. Give"
                    + " HOST too, or leave MAKER out"
                : "maker must be an upper-case word of up to 32 letters, digits or '_'; maker="
                    + maker
                    + ". Use e.g. FIT");
      }
      return layer;
    }

    private static void text(String what, String v) {
      if (v == null || v.isBlank() || v.length() > 512) {
        throw bad(
            what
                + " must be 1 to 512 characters; "
                + what
                + "="
                + v
                + ". Give the host model's name and module path");
      }
    }

    private static void range(String what, int v, int lo, int hi) {
      if (v < lo || v > hi) {
        throw bad(
            String.format(
                Locale.ROOT, "%s must be between %d and %d; %s=%d", what, lo, hi, what, v));
      }
    }

    private static StoreException bad(String msg) {
      return new StoreException(INVALID_VALUE, msg);
    }
  }
}
