package io.editdb.query;

import static io.editdb.store.StoreException.Kind.INVALID_VALUE;

import io.editdb.store.EditStore;
import io.editdb.store.GateMode;
import io.editdb.store.KeyHit;
import io.editdb.store.Layer;
import io.editdb.store.SearchMode;
import io.editdb.store.StoreException;
import io.editdb.store.TextScoring;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Picks the experts for a query, as LiveEdit does: a hard filter on visual similarity, then soft
 * routing by text similarity.
 *
 * <ol>
 *   <li>Hard filter: the layer's edits active at the version whose visual score (raw similarity
 *       times visual_scale) reaches the threshold, at most max_candidates, best first; an HNSW
 *       search, or an exact scan below {@link RouterConfig#exactBelow()} edits. On a text-only
 *       layer (visual_dim 0) the text key does this step, with the same threshold and scale. A
 *       query without a visual key on a visual layer gets no candidates.
 *   <li>Soft routing: s_e = text_scale * similarity (minus visual_weight times how far the visual
 *       score is behind the best candidate's, on a layer that sets it); gates by the layer's {@link
 *       GateMode}; gates below min_gate dropped; at most top_k kept (0 = all).
 * </ol>
 *
 * <pre>{@code
 * Router router = new Router(store);
 * for (RoutedEdit r : router.route(RouteQuery.of("l21", imageKey, textKey))) {
 *   System.out.println(r.editId() + " gate " + r.gate());
 * }
 * }</pre>
 *
 * Thread-safe; holds no state but its configuration.
 */
public final class Router {
  private final EditStore store;
  private final RouterConfig config;

  public Router(EditStore store) {
    this(store, RouterConfig.DEFAULT);
  }

  public Router(EditStore store, RouterConfig config) {
    this.store = store;
    this.config = config;
  }

  public RouterConfig config() {
    return config;
  }

  public EditStore store() {
    return store;
  }

  /** The chosen edits, by gate descending; empty when nothing passes. */
  public List<RoutedEdit> route(RouteQuery q) {
    return kept(explain(q, false));
  }

  /**
   * The routing decision as a pure function of one search's hits (best first): the kept edits by
   * gate descending, exactly what {@link #route} returns for a query whose search found {@code
   * hits}. Offline tools (the lifelong sweep, which re-scores one search's hits under many
   * settings) call this rather than keep a copy of the decision.
   */
  public static List<RoutedEdit> choose(Layer layer, List<KeyHit> hits, double threshold) {
    return kept(decide(layer, hits, threshold, false));
  }

  private static List<RoutedEdit> kept(List<Candidate> candidates) {
    List<RoutedEdit> out = new ArrayList<>();
    for (Candidate c : candidates) {
      if (c.kept()) {
        out.add(new RoutedEdit(c.editId(), c.visualScore(), c.textScore(), c.gate()));
      }
    }
    return out;
  }

  /** Routes each query of a batch (one result list per query, in order). */
  public List<List<RoutedEdit>> routeBatch(List<RouteQuery> queries) {
    List<List<RoutedEdit>> out = new ArrayList<>(queries.size());
    for (RouteQuery q : queries) {
      out.add(route(q));
    }
    return out;
  }

  /** The search mode the router would use for the layer at the version. */
  public SearchMode modeFor(Layer layer, long version) {
    return modeFor(store.activeCount(layer, version));
  }

  private SearchMode modeFor(int activeEdits) {
    if (config.forcedMode() != null) {
      return config.forcedMode();
    }
    return activeEdits < config.exactBelow() ? SearchMode.EXACT : SearchMode.HNSW;
  }

  /**
   * Every candidate considered, kept ones first by gate descending, then the dropped ones by visual
   * score, each with why it was kept or dropped.
   */
  public List<Candidate> explain(RouteQuery q) {
    return explain(q, true);
  }

  /** {@link #explain}, with the dropped candidates' reasons worded only if {@code reasons}. */
  private List<Candidate> explain(RouteQuery q, boolean reasons) {
    if (q == null || q.layer() == null) {
      throw new StoreException(
          StoreException.Kind.UNKNOWN_LAYER,
          "a route query needs a layer; layer=null. Name the layer to route on");
    }
    Layer layer = store.layer(q.layer());
    // Checked first, so an unknown version is refused whatever else the query holds.
    long version = q.version() == null ? store.latestVersion() : store.checkVersion(q.version());
    checkKey("text key", q.textKey(), layer.textDim(), layer);
    double threshold = q.visualThreshold() == null ? layer.visualThreshold() : q.visualThreshold();
    layer.filterSimilarity().checkThreshold("visual threshold", threshold);
    float[] primary;
    if (layer.hasVisual()) {
      if (q.visualKey() == null || q.visualKey().length == 0) {
        return List.of(); // LiveEdit: a text-only query on a visual layer is left unedited
      }
      checkKey("visual key", q.visualKey(), layer.visualDim(), layer);
      primary = q.visualKey();
    } else {
      if (q.visualKey() != null && q.visualKey().length > 0) {
        throw new StoreException(
            INVALID_VALUE,
            "layer "
                + layer.name()
                + " is text-only"
                + " (visual_dim 0) but the query has a visual key of "
                + q.visualKey().length
                + " floats; leave the visual key out");
      }
      primary = q.textKey();
    }
    // Both modes look at the same number of nearest keys, so explain shows the same rejections.
    // The store counts the active edits on the reader it then searches: one reader per query.
    int k = Math.max(layer.maxCandidates(), config.efSearch());
    // Without reasons the dropped hits' text scores go unused: read text keys only for hits that
    // may pass the hard filter (visual_scale x similarity >= threshold, with a margin for
    // rounding), and of those only the first max_candidates (decide keeps no more; with a positive
    // visual_scale the hits that pass are a prefix of the hits, best first).
    // The same least similarity bounds the graph walk (route and explain alike: explain shows the
    // search route ran): once it has found keys above it, it stays near them.
    TextScoring scoring = TextScoring.ALL;
    float keepFrom = Float.NEGATIVE_INFINITY;
    if (layer.visualScale() > 0) {
      double floor = threshold / layer.visualScale();
      keepFrom = (float) (floor - 1e-4 * Math.max(1, Math.abs(floor)));
      if (!reasons) {
        scoring = new TextScoring(keepFrom, layer.maxCandidates());
      }
    }
    List<KeyHit> hits =
        store.searchKeys(layer, primary, q.textKey(), scoring, k, version, this::modeFor, keepFrom);
    return decide(layer, hits, threshold, reasons);
  }

  /**
   * The hard filter and soft routing over the hits of one search (best first): every candidate,
   * kept ones first by gate descending; {@link #choose} keeps the kept ones.
   */
  public static List<Candidate> decide(Layer layer, List<KeyHit> hits, double threshold) {
    return decide(layer, hits, threshold, true);
  }

  /**
   * {@link #decide(Layer, List, double)}; without {@code reasons} a reason that would format scores
   * is its rule alone ({@link #route} drops those candidates anyway, and formatting a reason costs
   * more than deciding it: about 0.3 us each, 30 of them for a typical query).
   */
  private static List<Candidate> decide(
      Layer layer, List<KeyHit> hits, double threshold, boolean reasons) {
    double vScale = layer.visualScale();
    double tScale = layer.textScale();
    List<KeyHit> passed = new ArrayList<>();
    List<Candidate> dropped = new ArrayList<>();
    for (KeyHit h : hits) {
      float visual = (float) (vScale * h.primary());
      float text = (float) (tScale * h.text());
      if (visual >= threshold && passed.size() < layer.maxCandidates()) {
        passed.add(h);
      } else {
        String why;
        if (visual >= threshold) {
          why = "beyond max_candidates " + layer.maxCandidates();
        } else {
          why =
              reasons
                  ? fmt("visual %.4f < threshold %.4f", visual, threshold)
                  : "visual < threshold";
        }
        dropped.add(new Candidate(h.editId(), visual, false, text, 0f, false, why));
      }
    }
    // visual_weight 0 (the default): LiveEdit's gates, from the text alone. Above 0, each
    // candidate loses visual_weight times how far its picture is behind the closest one's, so
    // that of edits asked the same question the closest picture wins, and the closest one's logit
    // (against the null logit) stays what the text gives.
    double closest = Double.NEGATIVE_INFINITY;
    for (KeyHit h : passed) {
      closest = Math.max(closest, vScale * h.primary());
    }
    double[] s = new double[passed.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] =
          tScale * passed.get(i).text()
              - layer.visualWeight() * (closest - vScale * passed.get(i).primary());
    }
    double[] gates = gates(layer, s);
    List<Candidate> scored = new ArrayList<>(s.length);
    for (int i = 0; i < s.length; i++) {
      KeyHit h = passed.get(i);
      scored.add(
          new Candidate(
              h.editId(),
              (float) (vScale * h.primary()),
              true,
              (float) s[i],
              (float) gates[i],
              true,
              "kept"));
    }
    scored.sort(
        Comparator.comparingDouble((Candidate c) -> -c.gate())
            .thenComparingLong(Candidate::editId));
    List<Candidate> out = new ArrayList<>(hits.size());
    int kept = 0;
    for (Candidate c : scored) {
      String why = null;
      if (c.gate() < layer.minGate()) {
        why =
            reasons
                ? fmt("gate %.4f < min_gate %.4f", c.gate(), layer.minGate())
                : "gate < min_gate";
      } else if (layer.topK() > 0 && kept >= layer.topK()) {
        why = "beyond top_k " + layer.topK();
      }
      if (why == null) {
        kept++;
        out.add(c);
      } else {
        out.add(
            new Candidate(c.editId(), c.visualScore(), true, c.textScore(), c.gate(), false, why));
      }
    }
    // kept first (by gate), then the rest in the order decided
    out.sort(Comparator.comparing((Candidate c) -> !c.kept()));
    out.addAll(dropped);
    return out;
  }

  /**
   * Gates of the candidates from their text scores s (docs/design.md section 3, step 2),
   * numerically stable.
   */
  static double[] gates(Layer layer, double[] s) {
    double[] w = new double[s.length];
    if (s.length == 0) {
      return w;
    }
    if (layer.gate() == GateMode.LIVEEDIT) {
      double max = Double.NEGATIVE_INFINITY;
      for (double x : s) {
        max = Math.max(max, x);
      }
      double sum = 0;
      for (int i = 0; i < s.length; i++) {
        w[i] = Math.exp(s[i] - max);
        sum += w[i];
      }
      for (int i = 0; i < s.length; i++) {
        w[i] = (w[i] / sum) * sigmoid(s[i]);
      }
    } else {
      double t = layer.temperature();
      double max = layer.nullLogit() / t;
      for (double x : s) {
        max = Math.max(max, x / t);
      }
      double sum = Math.exp(layer.nullLogit() / t - max);
      for (int i = 0; i < s.length; i++) {
        w[i] = Math.exp(s[i] / t - max);
        sum += w[i];
      }
      for (int i = 0; i < s.length; i++) {
        w[i] /= sum;
      }
    }
    return w;
  }

  private static double sigmoid(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }

  private static void checkKey(String what, float[] key, int dim, Layer layer) {
    if (key == null) {
      throw new StoreException(
          INVALID_VALUE,
          what
              + " is required; "
              + what
              + "=null. Encode"
              + " the query text (EMBED_TEXT) and pass it");
    }
    if (key.length != dim) {
      throw new StoreException(
          INVALID_VALUE,
          what
              + " has "
              + key.length
              + " floats but layer "
              + layer.name()
              + " expects "
              + dim
              + "; give a key of that length");
    }
    double norm = 0;
    for (int i = 0; i < key.length; i++) {
      if (!Float.isFinite(key[i])) {
        throw new StoreException(
            INVALID_VALUE, what + " must hold finite numbers; " + what + "[" + i + "]=" + key[i]);
      }
      norm += key[i] * key[i];
    }
    if (norm == 0) {
      throw new StoreException(
          INVALID_VALUE, what + " must not be all zeros; a zero key" + " matches nothing");
    }
  }

  private static String fmt(String f, Object... args) {
    return String.format(Locale.ROOT, f, args);
  }

  @Override
  public String toString() {
    return "Router{" + store.config().location() + ", " + config + "}";
  }
}
