package io.editdb.bench.lifelong;

import io.editdb.cli.EditCase;
import io.editdb.cli.VisualKeys;
import io.editdb.query.RouteQuery;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.query.RouterConfig;
import io.editdb.store.EditStore;
import io.editdb.store.GateMode;
import io.editdb.store.KeyHit;
import io.editdb.store.Layer;
import io.editdb.store.SearchMode;
import io.editdb.store.StoreConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The parameter sweep: on the first N edits, every setting of a small grid (visual threshold x text
 * scale, and for SOFTMAX x null_logit) is scored on the five metrics, per layer kind and gate mode,
 * and the best is chosen.
 *
 * <p>One exact key search per probe; each setting's decision is then recomputed from those hits by
 * {@link Router#choose}, the router's own decision as a pure function (hits do not depend on the
 * swept parameters). Afterwards the chosen settings are built as real layers and routed by the real
 * {@link Router}, and the results are compared probe by probe with the math, so the sweep cannot
 * silently drift from the router.
 */
public final class Sweep {
  /** The grid. Null logits are given as fractions of the text scale (see {@link Setting}). */
  public record Grid(double[] thresholds, double[] textScales, double[] nullRatios) {
    public static Grid full() {
      return new Grid(
          new double[] {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95},
          new double[] {2, 5, 10, 15, 20, 30, 50, 100},
          new double[] {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9});
    }

    public static Grid quick() {
      return new Grid(
          new double[] {0.5, 0.7, 0.8, 0.9},
          new double[] {5, 10, 20, 50},
          new double[] {0.4, 0.5, 0.6, 0.8});
    }

    List<Point> points(GateMode gate) {
      List<Point> out = new ArrayList<>();
      int nc = gate == GateMode.SOFTMAX ? nullRatios.length : 1;
      for (int t = 0; t < thresholds.length; t++) {
        for (int s = 0; s < textScales.length; s++) {
          for (int c = 0; c < nc; c++) {
            double nullLogit = gate == GateMode.SOFTMAX ? nullRatios[c] * textScales[s] : 5;
            out.add(
                new Point(
                    new int[] {t, s, c},
                    new Setting(gate, thresholds[t], textScales[s], 1, nullLogit)));
          }
        }
      }
      return out;
    }
  }

  record Point(int[] index, Setting setting) {}

  /** One setting's scores: success rate per metric (NaN where n/a), their mean. */
  public record Scored(
      LayerConfig config, Setting setting, double[] rates, double mean, double neighbourMean) {
    /** How far from the current defaults, in grid-ish steps (the tie-break). */
    public double distanceFromDefaults() {
      Setting d = Setting.defaults(setting.gate());
      double dist =
          Math.abs(setting.visualThreshold() - d.visualThreshold()) / 0.1
              + Math.abs(Math.log(setting.textScale() / d.textScale()) / Math.log(2));
      if (setting.gate() == GateMode.SOFTMAX) {
        dist +=
            Math.abs(setting.nullLogit() / setting.textScale() - d.nullLogit() / d.textScale())
                / 0.1;
      }
      return dist;
    }
  }

  /**
   * Best first: highest mean; among equal means (common: on synthetic visual keys every threshold
   * between unrelated images and image_rephrase scores the same), the one closest to the current
   * defaults, since the data cannot tell them apart; then the one whose grid neighbours score best
   * (more robust).
   */
  public static final Comparator<Scored> RANKING =
      Comparator.comparingDouble((Scored s) -> -Math.rint(s.mean() * 1e9))
          .thenComparingDouble(Scored::distanceFromDefaults)
          .thenComparingDouble(s -> -s.neighbourMean());

  /**
   * Everything the sweep found: {@code edits} in the store, of which {@code probed} were probed;
   * {@code check} is the cross-check with the Router (null when not run).
   */
  public record Result(
      int edits,
      int probed,
      Map<LayerConfig, List<Scored>> all,
      Map<LayerConfig, Scored> best,
      Map<LayerConfig, Scored> defaults,
      String check) {}

  private final List<EditCase> cases;
  private final VisualKeys visual;
  private final TextKeys text;
  private final Grid grid;
  // The router's k (Router#explain): the searches must see the same nearest keys it sees.
  private final int k =
      Math.max(
          Setting.defaults(GateMode.LIVEEDIT).layer("x", LayerKind.VISUAL).maxCandidates(),
          RouterConfig.DEFAULT.efSearch());

  public Sweep(List<EditCase> cases, VisualKeys visual, TextKeys text, Grid grid) {
    this.cases = cases;
    this.visual = visual;
    this.text = text;
    this.grid = grid;
  }

  /** Inserts the cases into a fresh in-memory store, sweeps, and cross-checks the choice. */
  public Result run() {
    try (EditStore store =
        EditStore.open(StoreConfig.inMemory("lifelong-sweep-" + System.nanoTime()))) {
      Progress bar = new Progress("sweep: key searches", searches());
      Map<LayerKind, Probes> probes = new EnumMap<>(LayerKind.class);
      for (LayerKind kind : LayerKind.values()) {
        Layer layer =
            store.createLayer(
                Setting.defaults(GateMode.LIVEEDIT)
                    .layer("sweep_" + kind.name().toLowerCase(Locale.ROOT), kind),
                "bench");
        long[] ids = Inserter.insertAll(store, layer, cases, visual, text);
        probes.put(kind, search(store, layer, ids, bar));
      }
      bar.done();
      Result r = score(probes, cases.size());
      return new Result(
          r.edits(),
          r.probed(),
          r.all(),
          r.best(),
          r.defaults(),
          crossCheck(store, probes, r.best()));
    }
  }

  /**
   * The same grid on a store that already holds more edits (the lifelong run's final state): the
   * cases of this sweep are the probed sample, {@code ids} their edit ids in {@code layers} (one
   * layer per kind; its own routing parameters do not matter, only its keys).
   */
  public Result rescore(
      EditStore store, Map<LayerKind, Layer> layers, Map<LayerKind, long[]> ids, int storeEdits) {
    Map<LayerKind, Probes> probes = new EnumMap<>(LayerKind.class);
    for (LayerKind kind : LayerKind.values()) {
      probes.put(kind, search(store, layers.get(kind), ids.get(kind), null));
    }
    return score(probes, storeEdits);
  }

  private int searches() {
    int n = 0;
    for (LayerKind kind : LayerKind.values()) {
      for (Metric m : Metric.values()) {
        n += m.appliesTo(kind) ? cases.size() : 0;
      }
    }
    return n;
  }

  /** Every setting of the grid scored from the hits, per layer configuration. */
  private Result score(Map<LayerKind, Probes> probes, int storeEdits) {
    Map<LayerConfig, List<Scored>> all = new LinkedHashMap<>();
    Map<LayerConfig, Scored> best = new LinkedHashMap<>();
    Map<LayerConfig, Scored> defaults = new LinkedHashMap<>();
    for (LayerConfig cfg : LayerConfig.all()) {
      Probes p = probes.get(cfg.kind());
      List<Point> points = grid.points(cfg.gate());
      double[] means = new double[points.size()];
      List<double[]> rates = new ArrayList<>(points.size());
      Map<String, Integer> at = new HashMap<>();
      for (int i = 0; i < points.size(); i++) {
        double[] r = score(p, points.get(i).setting().layer("x", cfg.kind()), cfg.kind());
        rates.add(r);
        means[i] = mean(r);
        at.put(key(points.get(i).index()), i);
      }
      List<Scored> scored = new ArrayList<>(points.size());
      for (int i = 0; i < points.size(); i++) {
        scored.add(
            new Scored(
                cfg,
                points.get(i).setting(),
                rates.get(i),
                means[i],
                neighbourMean(points.get(i).index(), at, means)));
      }
      all.put(cfg, scored);
      best.put(cfg, pick(scored));
      Setting d = Setting.defaults(cfg.gate());
      double[] dr = score(p, d.layer("x", cfg.kind()), cfg.kind());
      defaults.put(cfg, new Scored(cfg, d, dr, mean(dr), Double.NaN));
    }
    return new Result(storeEdits, cases.size(), all, best, defaults, null);
  }

  /** One setting scored on the same probes as the grid (e.g. the setting chosen earlier). */
  public static Scored find(Result r, LayerConfig cfg, Setting s) {
    for (Scored x : r.all().get(cfg)) {
      if (x.setting().equals(s)) {
        return x;
      }
    }
    throw new IllegalArgumentException(s + " is not on the grid of this sweep");
  }

  /** The exact hits of every probe on one layer ({@code bar} may be null). */
  private Probes search(EditStore store, Layer layer, long[] ids, Progress bar) {
    LayerKind kind = layer.hasVisual() ? LayerKind.VISUAL : LayerKind.TEXT_ONLY;
    Probes p = new Probes(ids);
    long version = store.latestVersion();
    for (Metric m : Metric.values()) {
      if (!m.appliesTo(kind)) {
        continue;
      }
      List<List<KeyHit>> perCase = new ArrayList<>(cases.size());
      for (EditCase c : cases) {
        float[] v = m.visualKey(kind, c, visual);
        float[] t = text.get(m.text(c));
        perCase.add(
            store.searchKeys(layer, kind.visual() ? v : t, t, k, version, SearchMode.EXACT));
        if (bar != null) {
          bar.step();
        }
      }
      p.hits.put(m, perCase);
    }
    return p;
  }

  /** Success rate per metric (NaN where n/a) of one layer setting. */
  private double[] score(Probes p, Layer layer, LayerKind kind) {
    double[] r = new double[Metric.values().length];
    for (Metric m : Metric.values()) {
      if (!m.appliesTo(kind)) {
        r[m.ordinal()] = Double.NaN;
        continue;
      }
      List<List<KeyHit>> hits = p.hits.get(m);
      int ok = 0;
      for (int i = 0; i < hits.size(); i++) {
        if (m.success(Router.choose(layer, hits.get(i), layer.visualThreshold()), p.ids[i])) {
          ok++;
        }
      }
      r[m.ordinal()] = ok / (double) hits.size();
    }
    return r;
  }

  /** Mean over the metrics that apply. */
  public static double mean(double[] rates) {
    double s = 0;
    int n = 0;
    for (double r : rates) {
      if (!Double.isNaN(r)) {
        s += r;
        n++;
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }

  private static Scored pick(List<Scored> scored) {
    return scored.stream().min(RANKING).orElseThrow();
  }

  private static double neighbourMean(int[] idx, Map<String, Integer> at, double[] means) {
    double s = means[at.get(key(idx))];
    int n = 1;
    for (int d = 0; d < idx.length; d++) {
      for (int step : new int[] {-1, 1}) {
        int[] j = idx.clone();
        j[d] += step;
        Integer i = at.get(key(j));
        if (i != null) {
          s += means[i];
          n++;
        }
      }
    }
    return s / n;
  }

  private static String key(int[] idx) {
    return idx[0] + "," + idx[1] + "," + idx[2];
  }

  /**
   * Builds each chosen setting as a real layer, inserts the same edits and routes every probe with
   * the real Router (EXACT), comparing with what the sweep computed: same edits, same gates. HNSW
   * is routed too, for its agreement with EXACT at this size.
   */
  private String crossCheck(
      EditStore store, Map<LayerKind, Probes> probes, Map<LayerConfig, Scored> best) {
    Router exact = new Router(store, RouterConfig.DEFAULT.withForcedMode(SearchMode.EXACT));
    Router hnsw = new Router(store, RouterConfig.DEFAULT.withForcedMode(SearchMode.HNSW));
    int total = 0;
    int agree = 0;
    int hnswAgree = 0;
    String firstDiff = null;
    for (LayerConfig cfg : best.keySet()) {
      Layer layer =
          store.createLayer(
              best.get(cfg).setting().layer(cfg.layerName("check_"), cfg.kind()), "bench");
      long[] ids = Inserter.insertAll(store, layer, cases, visual, text);
      Probes p = probes.get(cfg.kind());
      Map<Long, Long> toSweepId = new HashMap<>();
      for (int i = 0; i < ids.length; i++) {
        toSweepId.put(ids[i], p.ids[i]);
      }
      for (Metric m : Metric.values()) {
        if (!m.appliesTo(cfg.kind())) {
          continue;
        }
        for (int i = 0; i < cases.size(); i++) {
          EditCase c = cases.get(i);
          RouteQuery q =
              RouteQuery.of(layer.name(), m.visualKey(cfg.kind(), c, visual), text.get(m.text(c)));
          List<RoutedEdit> want =
              Router.choose(layer, p.hits.get(m).get(i), layer.visualThreshold());
          List<RoutedEdit> got = exact.route(q);
          total++;
          if (same(want, got, toSweepId)) {
            agree++;
          } else if (firstDiff == null) {
            firstDiff =
                cfg.label()
                    + " "
                    + m.label()
                    + " record "
                    + c.index()
                    + ": math "
                    + want
                    + " vs Router "
                    + got;
          }
          if (same(want, hnsw.route(q), toSweepId)) {
            hnswAgree++;
          }
        }
      }
    }
    String s =
        String.format(
            Locale.ROOT,
            "cross-check of the chosen settings on real"
                + " layers: the Router (EXACT) agrees with the sweep's routing math on %d of %d probes;"
                + " HNSW on %d of %d",
            agree,
            total,
            hnswAgree,
            total);
    return firstDiff == null
        ? s
        : s
            + ". FIRST DISAGREEMENT (the sweep's copy of the routing"
            + " math is out of date): "
            + firstDiff;
  }

  private static boolean same(List<RoutedEdit> want, List<RoutedEdit> got, Map<Long, Long> ids) {
    if (want.size() != got.size()) {
      return false;
    }
    for (int i = 0; i < want.size(); i++) {
      if (!ids.get(got.get(i).editId()).equals(want.get(i).editId())
          || Math.abs(want.get(i).gate() - got.get(i).gate()) > 1e-6) {
        return false;
      }
    }
    return true;
  }

  /** Per metric, per case: the hits of the probe; and the edit id of each case. */
  private static final class Probes {
    final long[] ids;
    final Map<Metric, List<List<KeyHit>>> hits = new EnumMap<>(Metric.class);

    Probes(long[] ids) {
      this.ids = ids;
    }
  }
}
