package io.editdb.bench;

import io.editdb.cli.DirTrees;
import io.editdb.cli.Keys;
import io.editdb.query.Candidate;
import io.editdb.query.RouteQuery;
import io.editdb.query.Router;
import io.editdb.query.RouterConfig;
import io.editdb.store.EditStore;
import io.editdb.store.Layer;
import io.editdb.store.LayerOption;
import io.editdb.store.NewEdit;
import io.editdb.store.SearchMode;
import io.editdb.store.StoreConfig;
import io.editdb.store.StoreSession;
import io.editdb.store.WeightDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Routing benchmark (issue 3): latency (median, p99) of the exact scan and of HNSW in the same run,
 * and the hard filter's recall of HNSW against the exact scan, at growing store sizes. Visual keys
 * of 512 floats and text keys of 384, drawn around one cluster centre per 100 edits, loaded through
 * the store's insert path in commits of 1,000 edits (n/100 above 100,000, so a million loads in
 * 10,000-edit commits: a bulk import, not a stream of single edits).
 *
 * <p>Routing is measured once the index's background merges are done (a store that has served a
 * while), unless {@code nosettle} is given: then right after the load, with merges still running.
 * Exact and HNSW take turns in blocks of 50 queries, so both see the machine load of the same
 * minutes and each runs back to back within its block, as a router serving only that path does.
 * Then, for the record, HNSW right after an exact scan, query by query: the scan's pass over every
 * key leaves the CPU caches cold for the query after it.
 *
 * <p>With {@code keep} the stores stay in {@code target/routingbench-N} and a later run reuses them
 * instead of loading again. {@code hnsw=M,B} builds the graphs with Lucene's maxConn M and
 * beamWidth B (default: the store's, 16,200).
 *
 * <pre>
 * java ... io.editdb.bench.RoutingBench [sizes=1000,4000,10000,100000] [queries=300] [nosettle] [keep] [hnsw=M,B]
 * </pre>
 */
public final class RoutingBench {
  /** Queries per turn of each path in the timed comparison. */
  private static final int BLOCK = 50;

  public static void main(String[] args) throws IOException {
    String[] sizes = (args.length > 0 ? args[0] : "1000,4000,10000,100000").split(",");
    int queries = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    List<String> flags = List.of(args).subList(Math.min(2, args.length), args.length);
    boolean settle = !flags.contains("nosettle");
    boolean keep = flags.contains("keep");
    int[] graph =
        flags.stream()
            .filter(f -> f.startsWith("hnsw="))
            .findFirst()
            .map(RoutingBench::graphParameters)
            .orElse(null);
    System.out.println(
        Stats.fmt(
            "RoutingBench: visual 512 / text 384 keys, 1 cluster per 100"
                + " edits, max_candidates 16, threshold 0.7, %d queries per size, %s, vector module %s",
            queries,
            settle ? "merges settled" : "right after loading",
            ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "on" : "off"));
    Stats.row(
        "| %9s | %8s | %12s | %12s | %12s | %12s | %8s | %8s | %14s | %7s | %7s |",
        "edits",
        "segments",
        "exact med ms",
        "exact p99 ms",
        "hnsw med ms",
        "hnsw p99 ms",
        "speedup",
        "recall",
        "after exact ms",
        "load s",
        "merge s");
    Stats.row("|%s|", "-".repeat(148));
    for (String size : sizes) {
      run(Integer.parseInt(size.trim()), queries, settle, keep, graph);
    }
  }

  private static void run(int n, int queries, boolean settle, boolean keep, int[] graph)
      throws IOException {
    Path dir = Path.of("target/routingbench-" + n);
    Path loadedMark = dir.resolve("routingbench-loaded"); // written once a load completed
    boolean reused = keep && Files.exists(loadedMark);
    if (!reused) {
      DirTrees.delete(dir);
    }
    Keys visual = visualKeys(n);
    Keys text = textKeys(n);
    StoreConfig config = StoreConfig.directory(dir);
    if (graph != null) {
      config = config.optHnsw(graph[0], graph[1]);
    }
    try (EditStore s = EditStore.open(config)) {
      if (!reused) {
        createLayer(s);
      }
      long loadStart = System.nanoTime();
      // A reused store: skip its keys in the generators, so the queries drawn next are the same.
      for (int done = 0; reused && done < n; done++) {
        visual.next();
        text.next();
      }
      if (!reused) {
        load(s, n, visual::next, text::next);
      }
      long loaded = System.nanoTime();
      if (keep && !reused) {
        Files.writeString(loadedMark, Integer.toString(n));
      }
      int segments = settle ? s.awaitIndexMerges() : -1;
      long settled = System.nanoTime();
      Router exact = new Router(s, RouterConfig.DEFAULT.withForcedMode(SearchMode.EXACT));
      Router hnsw = new Router(s, RouterConfig.DEFAULT.withForcedMode(SearchMode.HNSW));
      RouteQuery[] qs = new RouteQuery[queries];
      for (int i = 0; i < queries; i++) {
        qs[i] = RouteQuery.of("bench", visual.next(), text.next());
      }
      // Warm-up of both paths until the JIT has compiled them (the graph search is first used
      // at the first size above KeyIndex's scan limit), on queries not measured: the exact scan
      // 300 rounds or 10 s, whichever is first; HNSW 3,000 rounds or 20 s. At a million edits
      // 100 HNSW rounds (all that fitted beside 10 s of exact scans) left the first measured
      // pass 0.3 ms slower than a second one in the same JVM.
      RouteQuery[] warm = new RouteQuery[300];
      for (int i = 0; i < warm.length; i++) {
        warm[i] = RouteQuery.of("bench", visual.next(), text.next());
      }
      long warmEnd = System.nanoTime() + 10_000_000_000L;
      for (int i = 0; i < 300 && System.nanoTime() < warmEnd; i++) {
        exact.explain(warm[i]);
      }
      warmEnd = System.nanoTime() + 20_000_000_000L;
      for (int i = 0; i < 3_000 && System.nanoTime() < warmEnd; i++) {
        hnsw.explain(warm[i % warm.length]);
      }
      // Exact and HNSW take turns in blocks of BLOCK queries (each block's queries first exact,
      // then HNSW), so both paths see the machine load of the same minutes, and within a block
      // each runs back to back, as a router serving only that path would. Recall compares the two
      // on the same queries.
      Stats te = new Stats();
      Stats th = new Stats();
      Recall recall = new Recall();
      for (int from = 0; from < qs.length; from += BLOCK) {
        int to = Math.min(qs.length, from + BLOCK);
        List<Set<Long>> truths = new ArrayList<>();
        for (int i = from; i < to; i++) {
          long t0 = System.nanoTime();
          List<Candidate> ce = exact.explain(qs[i]);
          te.add(System.nanoTime() - t0);
          truths.add(passed(ce));
        }
        for (int i = from; i < to; i++) {
          long t0 = System.nanoTime();
          List<Candidate> ch = hnsw.explain(qs[i]);
          th.add(System.nanoTime() - t0);
          recall.add(truths.get(i - from), passed(ch));
        }
      }
      // HNSW right after an exact scan, query by query, on fresh queries: the exact scan's pass
      // over every key leaves the CPU caches cold for the HNSW query after it.
      Stats ta = new Stats();
      for (int i = 0; i < queries; i++) {
        RouteQuery q = RouteQuery.of("bench", visual.next(), text.next());
        exact.explain(q);
        long t0 = System.nanoTime();
        hnsw.explain(q);
        ta.add(System.nanoTime() - t0);
      }
      Stats.row(
          "| %,9d | %8s | %12.3f | %12.3f | %12.3f | %12.3f | %7.1fx | %8.4f | %14s | %7s |"
              + " %7s |",
          n,
          segments < 0 ? "-" : Integer.toString(segments),
          te.medianMs(),
          te.p99Ms(),
          th.medianMs(),
          th.p99Ms(),
          te.medianMs() / th.medianMs(),
          recall.value(),
          Stats.fmt("%.3f / %.3f", ta.medianMs(), ta.p99Ms()),
          reused ? "reused" : Stats.fmt("%.1f", (loaded - loadStart) / 1e9),
          settle ? Stats.fmt("%.1f", (settled - loaded) / 1e9) : "-");
    }
    if (!keep) {
      DirTrees.delete(dir);
    }
  }

  /** The bench's visual keys for a store of n edits: 512 floats, one cluster centre per 100. */
  static Keys visualKeys(int n) {
    return new Keys(512, Math.max(1, n / 100), 0.5, 11);
  }

  /** The bench's text keys for a store of n edits: 384 floats, one cluster centre per 100. */
  static Keys textKeys(int n) {
    return new Keys(384, Math.max(1, n / 100), 0.5, 12);
  }

  /** Creates the bench's layer "bench": threshold 0.7, max_candidates 16, rank-1 experts of 8. */
  static void createLayer(EditStore s) {
    s.createLayer(
        Layer.builder("bench", "m", "x", 8, 8, 512, 384)
            .opt(LayerOption.MAX_RANK, 1)
            .opt(LayerOption.VISUAL_THRESHOLD, 0.7)
            .opt(LayerOption.MAX_CANDIDATES, 16)
            .build(),
        "bench");
  }

  /**
   * Loads n edits with the generators' next keys through the store's insert path, in commits of
   * 1,000 (n/100 above 100,000): a bulk import.
   */
  static void load(
      EditStore s,
      int n,
      java.util.function.Supplier<float[]> visual,
      java.util.function.Supplier<float[]> text) {
    float[] w = new float[8];
    w[0] = 1;
    int batch = Math.max(1000, n / 100);
    for (int done = 0; done < n; ) {
      try (StoreSession ss = s.openSession("bench")) {
        for (int i = 0; i < batch && done < n; i++, done++) {
          ss.insert(
              NewEdit.builder("bench", "q", "a")
                  .visualKey(visual.get())
                  .textKey(text.get())
                  .weights(w, w, 1, 1f, WeightDtype.F32)
                  .build());
        }
        ss.commit();
      }
    }
  }

  private static int[] graphParameters(String flag) {
    if (!flag.matches("hnsw=\\d{1,4},\\d{1,4}")) {
      throw new IllegalArgumentException(
          "hnsw= takes maxConn and beamWidth as two whole numbers,"
              + " e.g. hnsw=16,200; got "
              + flag);
    }
    String[] p = flag.substring(5).split(",");
    return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
  }

  /** The ids a router's explanation let through the hard filter. */
  static Set<Long> passed(List<Candidate> cs) {
    Set<Long> ids = new HashSet<>();
    for (Candidate c : cs) {
      if (c.passedFilter()) {
        ids.add(c.editId());
      }
    }
    return ids;
  }
}
