package io.editdb.bench;

import io.editdb.cli.DirTrees;
import io.editdb.cli.Keys;
import io.editdb.pgtest.PgCluster;
import io.editdb.query.RouteQuery;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.query.RouterConfig;
import io.editdb.store.EditStore;
import io.editdb.store.Layer;
import io.editdb.store.LayerOption;
import io.editdb.store.NewEdit;
import io.editdb.store.SearchMode;
import io.editdb.store.StoreConfig;
import io.editdb.store.StoreSession;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Nodes on PostgreSQL (issue 18): a store whose truth is PostgreSQL, against an H2 directory store,
 * and two or three nodes of the PostgreSQL store in this one JVM, on a throw-away cluster ({@link
 * PgCluster}: fsync on) that the benchmark starts and removes again, with its directories under
 * {@code target/nodesbench}, also when it fails.
 *
 * <ol>
 *   <li>Inserts: the same edits into both stores, taking turns: EDITS in commits of 1,000
 *       (edits/s), then COMMITS single-edit commits (latency). Node A writes alone here; B opens
 *       after.
 *   <li>Commit-to-route delay: node A commits COMMITS single edits, 0-20 ms apart (random); for
 *       each, the time from A's {@code commit()} returning to node B's {@code latestVersion()}
 *       reaching that version (B's follower learns of it by LISTEN/NOTIFY), polled every 20 µs;
 *       split up by a third PostgreSQL session that LISTENs too and notes when each notification
 *       arrives (the truth's commit, as the other nodes learn of it).
 *   <li>Routing: {@link Router#route} on node B against the H2 store holding the same edits, same
 *       queries, in blocks of 50 (which goes first alternates), once both indexes' merges are done.
 *   <li>Rebuild and catch-up: node C opened with an empty index (a rebuild from PostgreSQL),
 *       closed; A commits 1% more edits; C reopened (catch-up from its index's watermark), and how
 *       long after A's last commit B (open all along) announces it. For reference, the H2 store
 *       reopened without its index (a rebuild from H2).
 * </ol>
 *
 * Keys are RoutingBench's (visual 512, text 384, one cluster per 100 edits); experts are small
 * (rank 4 on a layer of d 64, f32: 2 KiB per edit, StoreBench's edit otherwise); the layer routes
 * as RoutingBench's (threshold 0.7, max_candidates 16).
 *
 * <pre>
 * editdb bench nodes [EDITS=20000] [COMMITS=300]
 * </pre>
 */
public final class NodesBench {
  private static final int BATCH = 1_000;
  private static final int QUERIES = 2_000;
  private static final int WARMUP = 2_000;
  private static final int EXACT_CHECKS = 200;
  private static final int BLOCK = 50;
  private static final int D = 64;
  private static final int RANK = 4; // StoreBench.edit's rank
  private static final int MAX_PAUSE_MICROS = 20_000;
  private static final long POLL_NANOS = 20_000;
  private static final long WAIT_LIMIT_NANOS = 120_000_000_000L;
  private static final Path ROOT = Path.of("target/nodesbench");

  private final int edits;
  private final int commits;
  private final Keys visual;
  private final Keys text;
  private final float[] expertA;
  private final float[] expertB;
  private final Random pauses = new Random(7);
  private int made;

  private NodesBench(int edits, int commits) {
    this.edits = edits;
    this.commits = commits;
    this.visual = RoutingBench.visualKeys(edits);
    this.text = RoutingBench.textKeys(edits);
    Random r = new Random(3);
    this.expertA = Keys.gaussian(r, RANK * D, 0.01);
    this.expertB = Keys.gaussian(r, D * RANK, 0.01);
  }

  public static void main(String[] args) throws IOException, SQLException {
    int edits = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int commits = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    if (edits < 1 || commits < 1) {
      throw new IllegalArgumentException(
          "editdb bench nodes: EDITS and COMMITS must be at least 1; got "
              + edits
              + " and "
              + commits);
    }
    // On Ctrl-C the finally below may not run to its end: PgCluster's own hook stops and removes
    // the cluster, this one the directories.
    Thread hook = new Thread(NodesBench::removeDirectories, "editdb-nodesbench-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      DirTrees.delete(ROOT);
      try (PgCluster pg = PgCluster.start()) {
        new NodesBench(edits, commits).run(pg);
      }
    } finally {
      removeDirectories();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs (or ran) anyway
      }
    }
  }

  private static void removeDirectories() {
    try {
      DirTrees.delete(ROOT);
    } catch (IOException | RuntimeException e) {
      System.err.println("editdb bench nodes: could not remove " + ROOT + ": " + e);
    }
  }

  private void run(PgCluster pg) throws IOException, SQLException {
    String db = pg.createDatabase("nodesbench");
    String url = pg.jdbcUrl(db);
    System.out.println(
        Stats.fmt(
            "NodesBench: ./editdb bench nodes %d %d (EDITS %,d, COMMITS %,d); visual 512 / text"
                + " 384 keys, 1 cluster per 100 edits; rank-%d experts on a d-%d layer (f32);"
                + " threshold 0.7, max_candidates 16",
            edits, commits, edits, commits, RANK, D));
    System.out.println(
        Stats.fmt(
            "machine: %d cores, load average %s; JVM %s; %s (throw-away cluster, fsync on)",
            Runtime.getRuntime().availableProcessors(),
            Stats.loadAverage(),
            Runtime.version(),
            serverVersion(pg, db)));
    System.out.println(
        "All nodes run in this one JVM and share its cores with each other and with the PostgreSQL"
            + " server on the same machine; other work on the machine (see the load average) makes"
            + " the figures noisy.");
    StoreConfig h2Config = StoreConfig.directory(ROOT.resolve("h2"));
    StoreConfig nodeA = node(pg, url, "node-a");
    StoreConfig nodeB = node(pg, url, "node-b");
    StoreConfig nodeC = node(pg, url, "node-c");
    try (EditStore h2 = EditStore.open(h2Config);
        EditStore a = EditStore.open(nodeA)) {
      createLayer(h2);
      createLayer(a);
      inserts(h2, a);
      progress("part 2: opening node B (rebuilds its index from PostgreSQL)");
      long t0 = System.nanoTime();
      try (EditStore b = EditStore.open(nodeB)) {
        double bOpenS = (System.nanoTime() - t0) / 1e9;
        long bOpenedWith = activeEdits(b);
        delays(a, b, h2, pg, db);
        routing(b, h2);
        rebuildAndCatchUp(a, b, h2, nodeC, bOpenS, bOpenedWith);
      }
    }
  }

  private static StoreConfig node(PgCluster pg, String url, String name) {
    return StoreConfig.postgres(url, pg.superuser(), pg.password(), ROOT.resolve(name));
  }

  private static String serverVersion(PgCluster pg, String db) throws SQLException {
    try (Connection c = pg.connect(db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW server_version")) {
      rs.next();
      return "PostgreSQL " + rs.getString(1);
    }
  }

  /** The layer "bench": d_in = d_out = 64, rank up to 4, RoutingBench's routing options. */
  private static void createLayer(EditStore s) {
    s.createLayer(
        Layer.builder("bench", "m", "model.layers.1", D, D, 512, 384)
            .opt(LayerOption.MAX_RANK, RANK)
            .opt(LayerOption.VISUAL_THRESHOLD, 0.7)
            .opt(LayerOption.MAX_CANDIDATES, 16)
            .build(),
        "bench");
  }

  /** The next edit: StoreBench's, on the next keys, with this bench's small expert. */
  private NewEdit next() {
    return StoreBench.edit(visual, text, expertA, expertB, made++);
  }

  private static void progress(String what) {
    System.err.println("editdb bench nodes: " + what);
  }

  // ---- part 1

  private void inserts(EditStore h2, EditStore pg) {
    progress(Stats.fmt("part 1: %,d edits into each store in commits of %,d", edits, BATCH));
    EditStore[] stores = {h2, pg};
    long[] nanos = new long[2];
    Stats[] batches = {new Stats(), new Stats()};
    for (int done = 0, round = 0; done < edits; round++) {
      List<NewEdit> batch = new ArrayList<>();
      for (int i = 0; i < BATCH && done + i < edits; i++) {
        batch.add(next());
      }
      for (int turn = 0; turn < 2; turn++) {
        int which = (turn + round) % 2; // which store goes first alternates
        long t = System.nanoTime();
        try (StoreSession s = stores[which].openSession("bench")) {
          for (NewEdit e : batch) {
            s.insert(e);
          }
          s.commit();
        }
        long took = System.nanoTime() - t;
        nanos[which] += took;
        batches[which].add(took);
      }
      done += batch.size();
      if (done % 10_000 == 0 && done < edits) {
        progress(Stats.fmt("part 1: %,d edits in each", done));
      }
    }
    progress(Stats.fmt("part 1: %,d single-edit commits into each", commits));
    Stats[] single = {new Stats(), new Stats()};
    for (int i = 0; i < commits; i++) {
      NewEdit e = next();
      for (int turn = 0; turn < 2; turn++) {
        int which = (turn + i) % 2;
        long t = System.nanoTime();
        stores[which].insert(e, "bench");
        single[which].add(System.nanoTime() - t);
      }
    }
    System.out.println();
    System.out.println(
        Stats.fmt(
            "Part 1: inserts, H2 directory store vs PostgreSQL store (node A, no other node open),"
                + " the same edits, taking turns; %,d edits in commits of %,d, then %,d single-edit"
                + " commits",
            edits, BATCH, commits));
    Stats.row("| %-40s | %12s | %12s | %8s |", "measure", "H2 directory", "PostgreSQL", "PG / H2");
    Stats.row("|%s|%s|%s|%s|", "-".repeat(42), "-".repeat(14), "-".repeat(14), "-".repeat(10));
    double h2Rate = edits / (nanos[0] / 1e9);
    double pgRate = edits / (nanos[1] / 1e9);
    Stats.row(
        "| %-40s | %,12.0f | %,12.0f | %7.2fx |",
        "insert, commits of 1,000 (edits/s)", h2Rate, pgRate, pgRate / h2Rate);
    ratioRow("commit of 1,000 edits, median (ms)", batches[0].medianMs(), batches[1].medianMs());
    ratioRow("single-edit commit, p50 (ms)", single[0].medianMs(), single[1].medianMs());
    ratioRow("single-edit commit, p99 (ms)", single[0].p99Ms(), single[1].p99Ms());
    System.out.println(
        "Both commit durably as configured: PostgreSQL fsyncs its WAL at commit (fsync on,"
            + " synchronous_commit on); H2 (StoreConfig.directory, WRITE_DELAY=0) writes the"
            + " commit to its file before commit() returns, without an fsync.");
  }

  private static void ratioRow(String what, double h2, double pg) {
    Stats.row("| %-40s | %12.2f | %12.2f | %7.2fx |", what, h2, pg, pg / h2);
  }

  // ---- part 2

  private void delays(EditStore a, EditStore b, EditStore h2, PgCluster pg, String db)
      throws SQLException {
    progress(Stats.fmt("part 2: %,d single-edit commits on node A, watched from node B", commits));
    awaitVersion(b, a.latestVersion(), System.nanoTime());
    Stats delay = new Stats(); // A's commit() returned -> B at the version: the delay asked for
    Stats sinceCall = new Stats(); // A calls commit() -> B at the version
    Stats commit = new Stats(); // A calls commit() -> it returns
    Stats notified = new Stats(); // A calls commit() -> the notification reaches a listener
    Stats bAfterNotify = new Stats(); // the notification at a listener -> B at the version
    Stats aAfterNotify = new Stats(); // the notification at a listener -> A's commit() returned
    int ahead = 0;
    int unheard = 0;
    List<NewEdit> sent = new ArrayList<>();
    try (Listener listener = new Listener(pg.connect(db), notifyChannel())) {
      for (int i = 0; i < commits; i++) {
        NewEdit e = next();
        sent.add(e);
        long version;
        long called;
        try (StoreSession s = a.openSession("bench")) {
          s.insert(e);
          called = System.nanoTime();
          version = s.commit();
        }
        long committed = System.nanoTime();
        ahead += b.latestVersion() >= version ? 1 : 0;
        long seen = awaitVersion(b, version, committed);
        commit.add(committed - called);
        delay.add(seen - committed);
        sinceCall.add(seen - called);
        Long heard = listener.arrival(version);
        if (heard == null) {
          unheard++;
        } else {
          notified.add(heard - called);
          bAfterNotify.add(seen - heard);
          aAfterNotify.add(committed - heard);
        }
        LockSupport.parkNanos(pauses.nextInt(MAX_PAUSE_MICROS + 1) * 1_000L);
      }
    }
    // The H2 store gets the same edits (one commit, off the clock), for part 3.
    try (StoreSession s = h2.openSession("bench")) {
      for (NewEdit e : sent) {
        s.insert(e);
      }
      s.commit();
    }
    System.out.println();
    System.out.println(
        Stats.fmt(
            "Part 2: commit-to-route delay between nodes: node A commits one edit at a time, %,d"
                + " times, 0-20 ms apart; the delay is the time from A's commit() returning to"
                + " node B's latestVersion() reaching that version (B polled every 20 us). The"
                + " rows below it split it up with a third PostgreSQL session that LISTENs like"
                + " B's follower and notes when each version's notification arrives",
            commits));
    Stats.row(
        "| %-52s | %8s | %8s | %8s | %8s | %8s |",
        "interval (ms)", "median", "p90", "p99", "max", "min");
    Stats.row(
        "|%s|%s|%s|%s|%s|%s|",
        "-".repeat(54),
        "-".repeat(10),
        "-".repeat(10),
        "-".repeat(10),
        "-".repeat(10),
        "-".repeat(10));
    delayRow("delay: A's commit() returned -> B at the version", delay);
    delayRow("A calls commit() -> B at the version", sinceCall);
    delayRow("A calls commit() -> A's commit() returns", commit);
    delayRow("A calls commit() -> notification at the listener", notified);
    delayRow("notification at the listener -> B at the version", bAfterNotify);
    delayRow("notification at the listener -> A's commit() returns", aAfterNotify);
    System.out.println(
        Stats.fmt(
            "B had the version already when A's commit() returned: %d of %d. After the return:"
                + " %d under 1 ms, %d in 1-2 ms, %d in 2-5 ms, %d in 5-20 ms, %d in 20-100 ms,"
                + " %d in 100 ms or more.%s",
            ahead,
            commits,
            delay.count(Double.NEGATIVE_INFINITY, 1),
            delay.count(1, 2),
            delay.count(2, 5),
            delay.count(5, 20),
            delay.count(20, 100),
            delay.count(100, Double.POSITIVE_INFINITY),
            unheard == 0
                ? ""
                : Stats.fmt(" The listener missed %d notifications (left out above).", unheard)));
    System.out.println(
        Stats.fmt(
            "B learns of a commit by PostgreSQL's LISTEN/NOTIFY; without a notification its"
                + " follower catches up every %s ms anyway (TruthFollower.POLL_MILLIS), the delay's"
                + " bound when notifications are lost (not measured: it needs a code change).",
            storeConstant("TruthFollower", "POLL_MILLIS")));
  }

  private static void delayRow(String what, Stats s) {
    Stats.row(
        "| %-52s | %8.2f | %8.2f | %8.2f | %8.2f | %8.2f |",
        what, s.medianMs(), s.pct(0.90), s.pct(0.99), s.maxMs(), s.minMs());
  }

  /**
   * A PostgreSQL session that LISTENs on the store's channel, as a node's follower does, and notes
   * when each version's notification arrives (System.nanoTime()).
   */
  private static final class Listener implements AutoCloseable {
    private static final long WAIT_NANOS = 2_000_000_000L;
    private final Connection connection;
    private final Map<Long, Long> arrivals = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;

    Listener(Connection connection, String channel) throws SQLException {
      this.connection = connection;
      try (Statement st = connection.createStatement()) {
        st.execute("LISTEN " + channel);
      } catch (SQLException e) {
        connection.close();
        throw e;
      }
      thread = new Thread(this::listen, "editdb-nodesbench-listener");
      thread.setDaemon(true);
      thread.start();
    }

    private void listen() {
      try {
        PGConnection pg = connection.unwrap(PGConnection.class);
        while (!closed) {
          PGNotification[] ns = pg.getNotifications(100);
          long now = System.nanoTime();
          for (PGNotification n : ns == null ? new PGNotification[0] : ns) {
            try {
              arrivals.putIfAbsent(Long.parseLong(n.getParameter()), now);
            } catch (NumberFormatException notAVersion) {
              // not a commit's notification
            }
          }
        }
      } catch (SQLException e) {
        if (!closed) {
          System.err.println("editdb bench nodes: the notification listener failed: " + e);
        }
      }
    }

    /** When the version's notification arrived; null if it did not within 2 s. */
    Long arrival(long version) {
      long since = System.nanoTime();
      Long t;
      while ((t = arrivals.get(version)) == null && System.nanoTime() - since < WAIT_NANOS) {
        LockSupport.parkNanos(POLL_NANOS);
      }
      return t;
    }

    @Override
    public void close() throws SQLException {
      closed = true;
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        connection.close();
      }
    }
  }

  /** The channel a commit notifies: PgTruth.CHANNEL, which is package-private in the store. */
  private static String notifyChannel() {
    Object c = storeConstant("PgTruth", "CHANNEL");
    return c instanceof String name ? name : "editdb_versions";
  }

  /**
   * Waits until the node announces {@code version}; returns System.nanoTime() then. Polls every 20
   * µs (parking, not spinning: on a small machine a spinning thread would take the core the node's
   * follower needs).
   */
  private static long awaitVersion(EditStore node, long version, long since) {
    while (node.latestVersion() < version) {
      if (System.nanoTime() - since > WAIT_LIMIT_NANOS) {
        throw new IllegalStateException(
            "node "
                + node.config().location()
                + " did not reach version "
                + version
                + " within "
                + WAIT_LIMIT_NANOS / 1_000_000_000L
                + " s (it is at "
                + node.latestVersion()
                + "); its follower is stuck or failing, see the warnings above");
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
    return System.nanoTime();
  }

  /**
   * A constant of the store's that is package-private there (TruthFollower.POLL_MILLIS,
   * PgTruth.CHANNEL), read rather than copied so the output follows the code; null if it is gone.
   */
  private static Object storeConstant(String className, String field) {
    try {
      java.lang.reflect.Field f =
          Class.forName("io.editdb.store." + className).getDeclaredField(field);
      f.setAccessible(true);
      return f.get(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  // ---- part 3

  private void routing(EditStore b, EditStore h2) {
    progress("part 3: waiting for both indexes' merges, then routing");
    long t0 = System.nanoTime();
    int segB = b.awaitIndexMerges();
    int segH = h2.awaitIndexMerges();
    double mergeS = (System.nanoTime() - t0) / 1e9;
    Router onB = new Router(b);
    Router onH2 = new Router(h2);
    RouteQuery[] warm = queries(WARMUP);
    for (RouteQuery q : warm) {
      onB.route(q);
      onH2.route(q);
    }
    Stats tb = new Stats();
    Stats th = new Stats();
    int same = 0;
    RouteQuery[] qs = queries(QUERIES);
    for (int from = 0, block = 0; from < qs.length; from += BLOCK, block++) {
      int to = Math.min(qs.length, from + BLOCK);
      List<List<Long>> fromB = new ArrayList<>();
      List<List<Long>> fromH2 = new ArrayList<>();
      for (int pass = 0; pass < 2; pass++) {
        boolean bPass = (pass + block) % 2 == 0;
        Router r = bPass ? onB : onH2;
        Stats t = bPass ? tb : th;
        List<List<Long>> out = bPass ? fromB : fromH2;
        for (int i = from; i < to; i++) {
          long s = System.nanoTime();
          List<RoutedEdit> routed = r.route(qs[i]);
          t.add(System.nanoTime() - s);
          out.add(ids(routed));
        }
      }
      for (int i = 0; i < fromB.size(); i++) {
        same += fromB.get(i).equals(fromH2.get(i)) ? 1 : 0;
      }
    }
    // The indexes' content, apart from the graphs' approximations: exact scans on both.
    Router exactB = new Router(b, RouterConfig.DEFAULT.withForcedMode(SearchMode.EXACT));
    Router exactH2 = new Router(h2, RouterConfig.DEFAULT.withForcedMode(SearchMode.EXACT));
    int sameExact = 0;
    for (RouteQuery q : queries(EXACT_CHECKS)) {
      sameExact += ids(exactB.route(q)).equals(ids(exactH2.route(q))) ? 1 : 0;
    }
    Layer lb = b.layer("bench");
    Layer lh = h2.layer("bench");
    System.out.println();
    System.out.println(
        Stats.fmt(
            "Part 3: Router.route on node B (PostgreSQL truth) vs on the H2 store, the same %,d"
                + " edits, the same %,d queries in blocks of %d (which goes first alternates),"
                + " after %,d warm-up queries each; index merges settled (%.1f s)",
            activeEdits(b), QUERIES, BLOCK, WARMUP, mergeS));
    Stats.row(
        "| %-28s | %6s | %8s | %10s | %10s |", "store", "mode", "segments", "p50 ms", "p99 ms");
    Stats.row(
        "|%s|%s|%s|%s|%s|",
        "-".repeat(30), "-".repeat(8), "-".repeat(10), "-".repeat(12), "-".repeat(12));
    Stats.row(
        "| %-28s | %6s | %8d | %10.3f | %10.3f |",
        "node B (PostgreSQL truth)",
        onB.modeFor(lb, b.latestVersion()),
        segB,
        tb.medianMs(),
        tb.p99Ms());
    Stats.row(
        "| %-28s | %6s | %8d | %10.3f | %10.3f |",
        "H2 directory store",
        onH2.modeFor(lh, h2.latestVersion()),
        segH,
        th.medianMs(),
        th.p99Ms());
    Stats.row(
        "| %-28s | %6s | %8s | %9.2fx | %9.2fx |",
        "B / H2", "", "", tb.medianMs() / th.medianMs(), tb.p99Ms() / th.p99Ms());
    System.out.println(
        Stats.fmt(
            "same routed edits on %,d of %,d queries; with exact scans on both, %d of %d",
            same, QUERIES, sameExact, EXACT_CHECKS));
  }

  private RouteQuery[] queries(int n) {
    RouteQuery[] qs = new RouteQuery[n];
    for (int i = 0; i < n; i++) {
      qs[i] = RouteQuery.of("bench", visual.next(), text.next());
    }
    return qs;
  }

  private static List<Long> ids(List<RoutedEdit> routed) {
    return routed.stream().map(RoutedEdit::editId).toList();
  }

  private static long activeEdits(EditStore s) {
    return s.activeEditIds("bench", s.latestVersion()).size();
  }

  // ---- part 4

  private void rebuildAndCatchUp(
      EditStore a, EditStore b, EditStore h2, StoreConfig nodeC, double bOpenS, long bOpenedWith)
      throws IOException {
    long atRebuild = activeEdits(a);
    progress(Stats.fmt("part 4: opening node C with an empty index (%,d edits)", atRebuild));
    double[] rebuild = openAndClose(nodeC, a.latestVersion());
    double[] intact = openAndClose(nodeC, a.latestVersion());
    int more = Math.max(1, edits / 100);
    progress(Stats.fmt("part 4: node A commits %,d more edits", more));
    long t0 = System.nanoTime();
    long last = 0;
    int versions = 0;
    for (int done = 0; done < more; versions++) {
      try (StoreSession s = a.openSession("bench")) {
        for (int i = 0; i < BATCH && done < more; i++, done++) {
          s.insert(next());
        }
        last = s.commit();
      }
    }
    long committed = System.nanoTime();
    double commitS = (committed - t0) / 1e9;
    double bSeesMs = (awaitVersion(b, last, committed) - committed) / 1e6;
    double[] catchUp = openAndClose(nodeC, last);
    progress("part 4: reopening the H2 store without its index");
    long h2Edits = activeEdits(h2);
    h2.close();
    DirTrees.delete(h2.config().directory().resolve("index"));
    double[] h2Rebuild = openAndClose(h2.config(), h2.latestVersion());
    System.out.println();
    System.out.println(
        Stats.fmt(
            "Part 4: rebuild and catch-up of a node (node C: its own empty index directory; node A"
                + " writes; node B open all along); %,d edits, then %,d more (1%%)",
            atRebuild, more));
    Stats.row("| %-68s | %10s |", "measure", "value");
    Stats.row("|%s|%s|", "-".repeat(70), "-".repeat(12));
    Stats.row(
        "| %-68s | %10.2f |",
        Stats.fmt("node C open, empty index: rebuild from PostgreSQL, %,d edits (s)", atRebuild),
        rebuild[0]);
    Stats.row(
        "| %-68s | %10.2f |", "node C reopen, intact index, nothing to catch up (s)", intact[0]);
    Stats.row(
        "| %-68s | %10.2f |",
        Stats.fmt("node A commits %,d more edits in %d commit(s) (s)", more, versions), commitS);
    Stats.row(
        "| %-68s | %10.1f |",
        "node B announces A's last version, after A's commit returned (ms)", bSeesMs);
    Stats.row(
        "| %-68s | %10.2f |",
        Stats.fmt("node C reopen: catch-up of %,d edits from its watermark (s)", more), catchUp[0]);
    Stats.row(
        "| %-68s | %10.2f |",
        Stats.fmt("(node B open after part 1: rebuild, %,d edits (s))", bOpenedWith), bOpenS);
    Stats.row(
        "| %-68s | %10.2f |",
        Stats.fmt("(H2 store reopened without its index: rebuild, %,d edits (s))", h2Edits),
        h2Rebuild[0]);
    System.out.println(
        Stats.fmt(
            "(opens are timed without the close; node C's three closes took %.2f, %.2f and %.2f s)",
            rebuild[1], intact[1], catchUp[1]));
  }

  /**
   * Opens the store, checks that it opened at {@code version}, and closes it: the seconds each took
   * ({open, close}).
   */
  private static double[] openAndClose(StoreConfig config, long version) {
    long t0 = System.nanoTime();
    EditStore s = EditStore.open(config);
    long opened = System.nanoTime();
    try {
      checkAt(s, version);
    } finally {
      s.close();
    }
    return new double[] {(opened - t0) / 1e9, (System.nanoTime() - opened) / 1e9};
  }

  private static void checkAt(EditStore node, long version) {
    if (node.latestVersion() != version) {
      throw new IllegalStateException(
          "node "
              + node.config().location()
              + " opened at version "
              + node.latestVersion()
              + ", expected "
              + version);
    }
  }
}
