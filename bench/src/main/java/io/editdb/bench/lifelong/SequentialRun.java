package io.editdb.bench.lifelong;

import io.editdb.cli.EditCase;
import io.editdb.cli.VisualKeys;
import io.editdb.query.RouteQuery;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.query.RouterConfig;
import io.editdb.store.EditStore;
import io.editdb.store.Layer;
import io.editdb.store.SearchMode;
import io.editdb.store.StoreConfig;
import io.editdb.store.StoreSession;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * The lifelong run: edits go in one by one, in file order, into one layer per configuration (visual
 * and text-only, LIVEEDIT and SOFTMAX, each with its chosen setting); each commit holds the same
 * record's edit in every layer, so all layers see the same sequence. At each checkpoint a seeded
 * sample of the edits inserted so far is probed with both routers (EXACT and HNSW, alternating
 * which goes first so neither gets the warmer caches).
 */
public final class SequentialRun {
  /** Checkpoints of issue 5 (and the last edit), up to {@code n}. */
  public static List<Integer> checkpoints(int n) {
    TreeSet<Integer> s = new TreeSet<>();
    for (int c : new int[] {1, 10, 100, 1000}) {
      if (c <= n) {
        s.add(c);
      }
    }
    if (n > 0) {
      s.add(n);
    }
    return new ArrayList<>(s);
  }

  /** One line of results: a configuration, a router, a checkpoint. */
  public record Row(
      LayerConfig config,
      SearchMode router,
      Setting setting,
      int edits,
      int sampled,
      double[] rates,
      double mean,
      double medianMs,
      double p99Ms,
      int timed,
      double sameAsExact,
      double loadAverage) {}

  /** The two router implementations, in the order of every table and chart. */
  public static final SearchMode[] ROUTERS = {SearchMode.EXACT, SearchMode.HNSW};

  // Measured on 2 cores: with 300 warm-up routes the p99 was 4 to 15 ms (scheduler ticks lost
  // to JIT and merge threads); with this much it is 0.1 to 0.4 ms, the routing itself.
  public static final int WARMUP_ROUTES = 3000;
  public static final long WARMUP_NANOS = 1_500_000_000L;

  /** Timings per layer and router at least (probes repeated at small checkpoints)... */
  public static final int MIN_TIMINGS = 1000;

  /** ...but no probe timed more often than this. */
  public static final int MAX_REPEATS = 200;

  private int warmupRoutes = WARMUP_ROUTES;
  private long warmupNanos = WARMUP_NANOS;
  private Sweep.Grid finalGrid;
  private Sweep.Result finalSweep;
  private final List<EditCase> cases;
  private final Map<LayerConfig, Setting> settings;
  private final VisualKeys visual;
  private final TextKeys text;
  private final int sampleCap;
  private final int commitEvery;
  private final long seed;
  private String insertSummary = "";

  /**
   * @param commitEvery edits per commit after the first 100 (which are always committed one by
   *     one); checkpoints always end a commit
   */
  public SequentialRun(
      List<EditCase> cases,
      Map<LayerConfig, Setting> settings,
      VisualKeys visual,
      TextKeys text,
      int sampleCap,
      int commitEvery,
      long seed) {
    this.cases = cases;
    this.settings = settings;
    this.visual = visual;
    this.text = text;
    this.sampleCap = sampleCap;
    this.commitEvery = Math.max(1, commitEvery);
    this.seed = seed;
  }

  /** A shorter warm-up (tests, where latency does not matter). */
  SequentialRun withWarmup(int routes, long nanos) {
    warmupRoutes = routes;
    warmupNanos = nanos;
    return this;
  }

  /**
   * Also re-score this grid at the final checkpoint, on its sample: do the settings chosen on the
   * first edits still hold when the store is full?
   */
  public SequentialRun withFinalSweep(Sweep.Grid grid) {
    finalGrid = grid;
    return this;
  }

  /** The grid re-scored at the final checkpoint (null unless {@link #withFinalSweep}). */
  public Sweep.Result finalSweep() {
    return finalSweep;
  }

  /** How the inserts went (commits, time), for the report. */
  public String insertSummary() {
    return insertSummary;
  }

  public List<Row> run(StoreConfig storeConfig) {
    int n = cases.size();
    List<Integer> checkpoints = checkpoints(n);
    long probeUnits = 0;
    for (int c : checkpoints) {
      probeUnits += (long) Math.min(c, sampleCap) * probesPerCase();
    }
    List<Row> rows = new ArrayList<>();
    try (EditStore store = EditStore.open(storeConfig)) {
      Map<LayerConfig, Layer> layers = new LinkedHashMap<>();
      for (LayerConfig cfg : settings.keySet()) {
        layers.put(
            cfg,
            store.createLayer(
                settings.get(cfg).layer(cfg.layerName(""), cfg.kind()), "lifelong-bench"));
      }
      Map<LayerConfig, long[]> ids = new LinkedHashMap<>();
      layers.keySet().forEach(cfg -> ids.put(cfg, new long[n]));
      Map<SearchMode, Router> routers = new EnumMap<>(SearchMode.class);
      for (SearchMode m : ROUTERS) {
        routers.put(m, new Router(store, RouterConfig.DEFAULT.withForcedMode(m)));
      }
      Progress bar = new Progress("lifelong run", n + probeUnits);
      long insertNanos = 0;
      int commits = 0;
      try (StoreSession s = store.openSession("lifelong-bench")) {
        for (int i = 0; i < n; i++) {
          int done = i + 1;
          long t0 = System.nanoTime();
          for (Map.Entry<LayerConfig, Layer> e : layers.entrySet()) {
            ids.get(e.getKey())[i] =
                s.insert(Inserter.edit(e.getValue(), cases.get(i), visual, text));
          }
          boolean checkpoint = checkpoints.contains(done);
          if (done <= 100 || done % commitEvery == 0 || checkpoint) {
            s.commit();
            commits++;
          }
          insertNanos += System.nanoTime() - t0;
          bar.note("inserted " + done + "/" + n);
          bar.step();
          if (checkpoint) {
            bar.note("probing at " + done + " edits");
            int[] sample = sample(done, sampleCap, seed + done);
            rows.addAll(measure(done, sample, layers, ids, routers, bar));
            if (done == n && finalGrid != null) {
              bar.note("re-scoring the grid at " + done + " edits");
              finalSweep = rescore(store, sample, layers, ids);
            }
          }
        }
      }
      bar.done();
      String policy =
          commitEvery == 1
              ? "one commit per edit"
              : "one commit per edit for the first 100, then " + commitEvery + " per commit";
      insertSummary =
          String.format(
              Locale.ROOT,
              "%d edits x %d layers inserted in %d commits"
                  + " (%s; each commit holds the same record's edit in every layer), %.1f s in inserts"
                  + " and commits, %.2f ms per commit on average",
              n,
              layers.size(),
              commits,
              policy,
              insertNanos / 1e9,
              insertNanos / 1e6 / Math.max(1, commits));
    }
    return rows;
  }

  private int probesPerCase() {
    int p = 0;
    for (LayerConfig cfg : settings.keySet()) {
      for (Metric m : Metric.values()) {
        p += m.appliesTo(cfg.kind()) ? 1 : 0;
      }
    }
    return p;
  }

  /** Probes a seeded sample of the first {@code done} edits on every layer with both routers. */
  private List<Row> measure(
      int done,
      int[] sample,
      Map<LayerConfig, Layer> layers,
      Map<LayerConfig, long[]> ids,
      Map<SearchMode, Router> routers,
      Progress bar) {
    warmUp(sample, layers, routers);
    // The machine may be shared: the load says how much the tail latencies can be trusted.
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    List<Row> rows = new ArrayList<>();
    int order = 0;
    for (Map.Entry<LayerConfig, Layer> e : layers.entrySet()) {
      LayerConfig cfg = e.getKey();
      Map<SearchMode, int[]> ok = new EnumMap<>(SearchMode.class);
      Map<SearchMode, Latency> lat = new EnumMap<>(SearchMode.class);
      for (SearchMode m : ROUTERS) {
        ok.put(m, new int[Metric.values().length]);
        lat.put(m, new Latency());
      }
      int probes = 0;
      int same = 0;
      // Few edits make few probes, and a p99 of 50 timings is just their maximum: repeat each
      // timing so that every percentile rests on at least MIN_TIMINGS of them.
      int timedPerCase = 0;
      for (Metric m : Metric.values()) {
        timedPerCase += m.appliesTo(cfg.kind()) ? 1 : 0;
      }
      int reps =
          (int)
              Math.min(
                  MAX_REPEATS, Math.ceil(MIN_TIMINGS / (double) (timedPerCase * sample.length)));
      for (int idx : sample) {
        EditCase c = cases.get(idx);
        long own = ids.get(cfg)[idx];
        for (Metric m : Metric.values()) {
          if (!m.appliesTo(cfg.kind())) {
            continue;
          }
          float[] v = m.visualKey(cfg.kind(), c, visual);
          RouteQuery q = RouteQuery.of(e.getValue().name(), v, text.get(m.text(c)));
          Map<SearchMode, List<RoutedEdit>> got = new EnumMap<>(SearchMode.class);
          for (int rep = 0; rep < reps; rep++) {
            for (int r = 0; r < ROUTERS.length; r++) {
              SearchMode mode = ROUTERS[(r + order) % ROUTERS.length];
              long t0 = System.nanoTime();
              List<RoutedEdit> routed = routers.get(mode).route(q);
              long t = System.nanoTime() - t0;
              lat.get(mode).add(t);
              if (rep == 0) {
                got.put(mode, routed);
                if (m.success(routed, own)) {
                  ok.get(mode)[m.ordinal()]++;
                }
              }
            }
            order++;
          }
          probes++;
          if (got.get(SearchMode.EXACT).equals(got.get(SearchMode.HNSW))) {
            same++;
          }
          bar.step();
        }
      }
      for (SearchMode mode : ROUTERS) {
        double[] rates = new double[Metric.values().length];
        for (Metric m : Metric.values()) {
          rates[m.ordinal()] =
              m.appliesTo(cfg.kind())
                  ? ok.get(mode)[m.ordinal()] / (double) sample.length
                  : Double.NaN;
        }
        Latency l = lat.get(mode);
        rows.add(
            new Row(
                cfg,
                mode,
                settings.get(cfg),
                done,
                sample.length,
                rates,
                Sweep.mean(rates),
                l.pctMs(0.5),
                l.pctMs(0.99),
                l.count(),
                mode == SearchMode.EXACT ? Double.NaN : same / (double) probes,
                load));
      }
    }
    return rows;
  }

  private Sweep.Result rescore(
      EditStore store, int[] sample, Map<LayerConfig, Layer> layers, Map<LayerConfig, long[]> ids) {
    List<EditCase> probed = new ArrayList<>(sample.length);
    for (int idx : sample) {
      probed.add(cases.get(idx));
    }
    Map<LayerKind, Layer> byKind = new EnumMap<>(LayerKind.class);
    Map<LayerKind, long[]> idsByKind = new EnumMap<>(LayerKind.class);
    for (Map.Entry<LayerConfig, Layer> e : layers.entrySet()) {
      LayerKind kind = e.getKey().kind();
      if (!byKind.containsKey(kind)) { // any layer of the kind: the hits only need its keys
        byKind.put(kind, e.getValue());
        long[] all = ids.get(e.getKey());
        long[] some = new long[sample.length];
        for (int i = 0; i < sample.length; i++) {
          some[i] = all[sample[i]];
        }
        idsByKind.put(kind, some);
      }
    }
    return new Sweep(probed, visual, text, finalGrid)
        .rescore(store, byKind, idsByKind, cases.size());
  }

  /**
   * Untimed routing before each measurement, by default for at least {@link #WARMUP_ROUTES} routes
   * and {@link #WARMUP_NANOS}: the first checkpoint would otherwise time the JIT compiler, and
   * later ones the first searches on freshly merged segments while the merges of the last commits
   * still compete for the CPU.
   */
  private void warmUp(
      int[] sample, Map<LayerConfig, Layer> layers, Map<SearchMode, Router> routers) {
    int routes = 0;
    long start = System.nanoTime();
    while (routes < warmupRoutes || System.nanoTime() - start < warmupNanos) {
      for (int idx : sample) {
        EditCase c = cases.get(idx);
        for (Map.Entry<LayerConfig, Layer> e : layers.entrySet()) {
          for (Metric m : Metric.values()) {
            if (m.appliesTo(e.getKey().kind())) {
              RouteQuery q =
                  RouteQuery.of(
                      e.getValue().name(),
                      m.visualKey(e.getKey().kind(), c, visual),
                      text.get(m.text(c)));
              for (Router r : routers.values()) {
                r.route(q);
                routes++;
              }
            }
          }
        }
        if (routes >= warmupRoutes && System.nanoTime() - start >= warmupNanos) {
          return;
        }
      }
    }
  }

  /** {@code k} distinct indices of [0, n) (all when n <= k), seeded, ascending. */
  static int[] sample(int n, int k, long seed) {
    if (n <= k) {
      int[] all = new int[n];
      for (int i = 0; i < n; i++) {
        all[i] = i;
      }
      return all;
    }
    // Partial Fisher-Yates: uniform without replacement.
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    Random r = new Random(seed);
    for (int i = 0; i < k; i++) {
      int j = i + r.nextInt(n - i);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    int[] out = Arrays.copyOf(p, k);
    Arrays.sort(out);
    return out;
  }
}
