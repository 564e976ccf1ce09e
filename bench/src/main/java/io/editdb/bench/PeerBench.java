package io.editdb.bench;

import io.editdb.cli.DirTrees;
import io.editdb.cli.Keys;
import io.editdb.query.RouteQuery;
import io.editdb.query.Router;
import io.editdb.query.RouterConfig;
import io.editdb.store.EditStore;
import io.editdb.store.SearchMode;
import io.editdb.store.StoreConfig;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code editdb bench peer [SIZES] [QUERIES] [EFS] [EDITDB_EFS] [one]}: EditDB's router (HNSW, at
 * each efSearch of EDITDB_EFS, default 48) against FAISS's HNSW ({@code IndexHNSWFlat}, M 16,
 * efConstruction 200, one thread) on the same keys, in the same run. The keys are RoutingBench's
 * (512-d, one cluster per 100 edits, noise 0.5, unit length), written to a file both sides read; a
 * query's answer is what the layer's hard filter keeps (the top 16 at similarity 0.7 or more), and
 * each side's recall is against its own exact search of the same keys. FAISS runs in a Python
 * virtual environment this command makes under {@code target/} from the wheels in {@code
 * EDITDB_WHEELS} (default {@code /opt/pypi/files}), or PyPI when that fails. EditDB is measured on
 * the same segments with its routing copies and with them off (Lucene's graph search, the
 * baseline), the store reopened for each, and FAISS on its graph (built once, read back each time),
 * in alternating rounds. With {@code one}, a store left in several segments is then merged into one
 * (its segment cap raised to its size) and timed again the same way, FAISS in the same rounds: one
 * graph walked on one thread against several walked in parallel.
 */
final class PeerBench {
  private PeerBench() {}

  private static final Path DIR = Path.of("target/peer");
  private static final int K = 16;
  private static final double THRESHOLD = 0.7;

  public static void main(String[] args) throws Exception {
    int[] sizes = ints(args.length > 0 ? args[0] : "100000");
    int queries = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    String efs = args.length > 2 ? args[2] : "48,96";
    boolean oneSegment = args.length > 4 && args[4].equals("one");
    if (args.length > 4 && !oneSegment) {
      throw new IllegalArgumentException(
          "the fifth argument, if any, must be 'one' (also time the store merged into one"
              + " segment); it is '"
              + args[4]
              + "'");
    }
    ints(efs); // every argument is checked before the first load, not after it
    List<RouterConfig> editDbConfigs = new ArrayList<>();
    for (int ef : ints(args.length > 3 ? args[3] : "48")) {
      editDbConfigs.add(new RouterConfig(RouterConfig.DEFAULT.exactBelow(), ef, SearchMode.HNSW));
    }
    Files.createDirectories(DIR);
    Path python = venv();
    System.out.println(
        Stats.fmt(
            "PeerBench: 512-d keys, top %d at >= %.1f, %,d queries; FAISS IndexHNSWFlat M 16,"
                + " efConstruction 200, 1 thread; EditDB router (HNSW, its threads), JVM %s",
            K, THRESHOLD, queries, Runtime.version()));
    System.out.println(
        "| edits | system | search | p50 ms | p99 ms | recall | build s |\n"
            + "| --- | --- | --- | --- | --- | --- | --- |");
    List<String> layouts = new ArrayList<>(); // EditDB's times depend on them; they vary by run
    List<String> calls = new ArrayList<>(); // FAISS's from Python, in its times
    for (int n : sizes) {
      Keys visual = RoutingBench.visualKeys(n);
      Keys text = RoutingBench.textKeys(n);
      Path keys = DIR.resolve("keys-" + n + ".f32");
      Path qfile = DIR.resolve("queries-" + n + ".f32");
      Path store = DIR.resolve("store-" + n);
      DirTrees.delete(store);
      List<float[]> kept = new ArrayList<>(n);
      List<RouteQuery> qs = new ArrayList<>(queries);
      List<Set<Long>> truth = new ArrayList<>();
      double build;
      List<Integer> segments;
      try (EditStore s = EditStore.open(StoreConfig.directory(store))) {
        RoutingBench.createLayer(s);
        long t0 = System.nanoTime();
        // The generator's keys, kept as the store loads them: both sides get the same ones.
        RoutingBench.load(
            s,
            n,
            () -> {
              float[] v = visual.next();
              kept.add(v);
              return v;
            },
            text::next);
        s.awaitIndexMerges();
        build = (System.nanoTime() - t0) / 1e9;
        segments = s.indexSegmentSizes();
        write(keys, kept);
        List<float[]> qv = new ArrayList<>(queries);
        for (int i = 0; i < queries; i++) {
          float[] v = visual.next();
          qv.add(v);
          qs.add(RouteQuery.of("bench", v, text.next()));
        }
        write(qfile, qv);
        Router exact = new Router(s, RouterConfig.DEFAULT.withForcedMode(SearchMode.EXACT));
        for (RouteQuery q : qs) {
          truth.add(RoutingBench.passed(exact.explain(q)));
        }
      }
      Path faissIndex = DIR.resolve("faiss-" + n + ".index");
      List<String> built = faiss(python, keys, qfile, efs, faissIndex, "build");
      double faissBuild = Double.parseDouble(built.get(0));
      Run run =
          new Run(n, store, qs, truth, editDbConfigs, python, keys, qfile, efs, faissIndex, calls);
      run.rounds(0, build, faissBuild);
      layouts.add(Stats.fmt("%,d edits: %s", n, segments));
      if (oneSegment && segments.size() > 1) {
        // The same store merged into one segment (the cap raised to the store's size), then timed
        // as above, FAISS in the same rounds again: one graph walked on one thread against the
        // default layout's segments walked in parallel.
        long t0 = System.nanoTime();
        try (EditStore s = EditStore.open(StoreConfig.directory(store).optSegmentMaxSpans(n))) {
          s.awaitIndexMerges();
          segments = s.indexSegmentSizes();
        }
        double merged = (System.nanoTime() - t0) / 1e9;
        layouts.add(Stats.fmt("%,d edits merged into one in %.1f s more: %s", n, merged, segments));
        run.rounds(n, build + merged, faissBuild);
      }
      Files.deleteIfExists(faissIndex);
      Files.deleteIfExists(Path.of(faissIndex + ".truth.npz"));
      DirTrees.delete(store);
    }
    System.out.println("\nEditDB's index segments after the load (live documents): " + layouts);
    System.out.println(
        "FAISS's times include the call from Python, p50 of a search on an index of one key: "
            + calls);
  }

  /**
   * One size's run: the store and its queries with their exact answers, EditDB's router settings,
   * and FAISS's side (its Python, the key and query files both read, its graph file); FAISS's calls
   * from Python are collected into {@code calls}.
   */
  private record Run(
      int n,
      Path store,
      List<RouteQuery> qs,
      List<Set<Long>> truth,
      List<RouterConfig> configs,
      Path python,
      Path keys,
      Path queries,
      String efs,
      Path faissIndex,
      List<String> calls) {

    /**
     * The same segments walked through Lucene's graph (the baseline) and through the routing
     * copies, each store opened anew (segment cap {@code cap}, 0 for the store's default), then
     * FAISS's graph, in two rounds: all three are timed in the same minutes (this machine's speed
     * drifts by a fifth or more over a run); the first round warms the page cache and the JIT, and
     * only the second is reported.
     */
    void rounds(int cap, double build, double faissBuild) throws IOException, InterruptedException {
      for (int round = 0; round < 2; round++) {
        for (boolean copies : new boolean[] {false, true}) {
          StoreConfig c = StoreConfig.directory(store);
          c = cap > 0 ? c.optSegmentMaxSpans(cap) : c;
          try (EditStore s = EditStore.open(copies ? c : c.optRoutingCopyBytes(0))) {
            s.awaitIndexMerges(); // the copies made before timing
            int segments = s.indexSegmentSizes().size();
            String walk = copies ? "routing copies" : "Lucene graph";
            editDb(
                s,
                n,
                qs,
                truth,
                build,
                configs,
                walk + (segments == 1 ? ", one segment" : ", " + segments + " segments"),
                round == 1);
          }
        }
        List<String> rows = faiss(python, keys, queries, efs, faissIndex, "search");
        for (String line : round == 1 ? rows : List.<String>of()) {
          String[] f = line.split("\t");
          if (f[0].equals("call")) {
            calls.add(Stats.fmt("%,d edits: %s ms", n, f[1]));
            continue;
          }
          Stats.row(
              "| %,d | FAISS | ef %s | %s | %s | %s | %.1f |",
              n, f[0], f[1], f[2], f[3], faissBuild);
        }
      }
    }
  }

  /**
   * EditDB's rows (printed if {@code report}): the router (HNSW) at each efSearch, timing {@link
   * Router#route}; recall is the hard filter's, from {@link Router#explain} of the same query after
   * the timed call, against the exact search's {@code truth}.
   */
  private static void editDb(
      EditStore s,
      int n,
      List<RouteQuery> qs,
      List<Set<Long>> truth,
      double build,
      List<RouterConfig> configs,
      String walk,
      boolean report) {
    for (RouterConfig config : configs) {
      Router hnsw = new Router(s, config);
      for (int i = 0; i < 3_000; i++) { // warm-up, as RoutingBench's
        hnsw.route(qs.get(i % qs.size()));
      }
      Stats t = new Stats();
      Recall recall = new Recall();
      for (int i = 0; i < qs.size(); i++) {
        long t0 = System.nanoTime();
        hnsw.route(qs.get(i)); // what a serving system calls
        t.add(System.nanoTime() - t0);
        recall.add(truth.get(i), RoutingBench.passed(hnsw.explain(qs.get(i)))); // same search
      }
      if (!report) {
        continue;
      }
      Stats.row(
          "| %,d | EditDB | HNSW, ef %d, %s | %.3f | %.3f | %.4f | %.1f (load + merges) |",
          n, config.efSearch(), walk, t.medianMs(), t.p99Ms(), recall.value(), build);
    }
  }

  /**
   * Runs FAISS's side ({@code faiss_peer.py}) in {@code mode} "build" (builds the graph and writes
   * it to {@code index}; one line: the build seconds) or "search" (reads it; a line per efSearch:
   * ef, p50 ms, p99 ms, recall; then "call" and the p50 ms of a call from Python); returns its
   * lines.
   */
  private static List<String> faiss(
      Path python, Path keys, Path queries, String efs, Path index, String mode)
      throws IOException, InterruptedException {
    Path script = DIR.resolve("faiss_peer.py");
    try (InputStream in = PeerBench.class.getResourceAsStream("faiss_peer.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process p =
        new ProcessBuilder(
                python.toString(),
                script.toString(),
                keys.toString(),
                queries.toString(),
                "16",
                "200",
                efs,
                Integer.toString(K),
                Double.toString(THRESHOLD),
                index.toString(),
                mode)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        lines.add(line);
      }
    }
    if (p.waitFor() != 0 || lines.isEmpty()) {
      throw new IllegalStateException(
          "the FAISS side (" + mode + ") failed (exit " + p.exitValue() + ")");
    }
    return lines;
  }

  /** The Python with FAISS: target/peer-venv, made on first use. */
  private static Path venv() throws IOException, InterruptedException {
    Path venv = Path.of("target/peer-venv");
    Path python = venv.resolve("bin/python");
    if (Files.exists(python) && run(List.of(python.toString(), "-c", "import faiss"))) {
      return python;
    }
    String wheels = System.getenv().getOrDefault("EDITDB_WHEELS", "/opt/pypi/files");
    if (!run(List.of("python3", "-m", "venv", venv.toString()))) {
      throw new IllegalStateException(
          "python3 -m venv failed; install python3-venv (apt-get install python3-venv)");
    }
    String pip = venv.resolve("bin/pip").toString();
    if (!run(List.of(pip, "install", "-q", "--no-index", "--find-links", wheels, "faiss-cpu"))
        && !run(List.of(pip, "install", "-q", "faiss-cpu"))) {
      throw new IllegalStateException(
          "cannot install faiss-cpu: not among the wheels in "
              + wheels
              + " (EDITDB_WHEELS) and not from PyPI");
    }
    return python;
  }

  private static boolean run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().transferTo(System.err);
    return p.waitFor() == 0;
  }

  private static void write(Path file, List<float[]> vectors) throws IOException {
    int d = vectors.get(0).length;
    ByteBuffer row = ByteBuffer.allocate(4 * d).order(ByteOrder.LITTLE_ENDIAN);
    try (DataOutputStream out =
        new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file)))) {
      ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      out.write(head.putInt(vectors.size()).putInt(d).array());
      for (float[] v : vectors) {
        row.clear();
        row.asFloatBuffer().put(v);
        out.write(row.array());
      }
    }
  }

  private static int[] ints(String csv) {
    return java.util.Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
  }
}
