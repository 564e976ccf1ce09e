package io.editdb.driver;

import static io.editdb.driver.SoakState.ids;
import static io.editdb.driver.SoakState.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.query.RouteQuery;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.store.EditStore;
import io.editdb.store.VectorCodec;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6, concurrency: writers and readers on one on-disk store for a bounded time, then the store
 * held to what its history says.
 *
 * <p>Three writers ({@link SoakWriter}: inserts, batches, rollbacks, restores, ROLLBACK EDITS
 * WHERE, ROLLBACK TO VERSION, transactions that commit or roll back) and four readers ({@link
 * SoakReaders}: routing at the latest and at pinned past versions through the in-process router,
 * routing and audits through SQL) run together. During the run every answer about a fixed version
 * must never change, and each reader checks invariants as it goes. Afterwards: no thread failed
 * (the only refusal allowed is WRONG_STATE of a genuine race, counted apart), none hung, versions
 * are dense, a replay of the history matches {@code EDITS_AT(v)} for every v and the final
 * statuses, every edit's own keys route to it exactly when it is active, VERIFY HISTORY passes, and
 * all of it holds again after the store is closed and reopened.
 *
 * <p>System properties: {@code editdb.soak.seconds} (default 15) runs it longer; {@code
 * editdb.soak.seed} replays the threads' random choices (the interleaving is up to the machine).
 * The seed is printed at the start and named in every failure.
 */
class ConcurrencySoakTest {
  private static final int WRITERS = 3;

  /** How long the threads may overrun the deadline before the test calls it a hang. */
  private static final long GRACE_SECONDS = 120;

  @TempDir Path dir;

  @Test
  void writersAndReadersTogetherKeepEveryInvariant() throws Exception {
    long seconds = Long.getLong("editdb.soak.seconds", 15);
    long seed = Long.getLong("editdb.soak.seed", new Random().nextLong());
    System.out.printf(
        "ConcurrencySoakTest: seed=%d seconds=%d (replay with -Deditdb.soak.seed=%d)%n",
        seed, seconds, seed);
    try {
      soak(seed, seconds);
    } catch (AssertionError e) {
      throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
    }
  }

  private void soak(long seed, long seconds) throws Exception {
    String url = "jdbc:editdb:" + dir.resolve("store");
    SoakState soak;
    EditStore store;
    Checked checked;
    try (Connection anchor = TestDb.connect(url)) {
      try (Statement st = anchor.createStatement()) {
        for (String layer : SoakState.LAYERS) {
          st.execute(SoakState.createLayer(layer));
        }
      }
      store = anchor.unwrap(EditStore.class);
      soak = new SoakState(url, seed, seconds);
      SoakReaders readers = new SoakReaders(soak);
      long started = System.nanoTime();
      run(soak, readers, anchor);
      System.out.printf(
          "ConcurrencySoakTest: ran %.1f s: %s%n",
          (System.nanoTime() - started) / 1e9, soak.counts());
      List<Throwable> failures = soak.failures();
      if (!failures.isEmpty()) {
        AssertionError e =
            new AssertionError(failures.size() + " thread(s) failed; first: " + failures.get(0));
        failures.forEach(e::addSuppressed);
        throw e;
      }
      checked = checkAfterRun(anchor, soak, readers);
    }
    assertTrue(store.isClosed(), "the last connection closes the store");
    try (Connection again = TestDb.connect(url)) {
      State after = State.of(again);
      assertEquals(checked.state(), after, "state after reopening");
      assertEquals(
          after.latest(), again.unwrap(EditStore.class).indexWatermark(), "watermark on reopen");
      ownKeysRoute(again, after.statuses());
      reask(again, checked.sample(), soak.probes);
      assertVerifies(again);
    }
  }

  /** The state that must survive reopening, and the answers to ask again then. */
  private record Checked(State state, Map<String, String> sample) {}

  private static Checked checkAfterRun(Connection c, SoakState soak, SoakReaders readers)
      throws SQLException {
    long t = System.nanoTime();
    EditStore store = c.unwrap(EditStore.class);
    long latest = store.latestVersion();
    assertEquals(latest, scalar(c, "SELECT MAX(version) FROM versions"));
    assertEquals(latest, scalar(c, "SELECT COUNT(*) FROM versions"), "dense versions");
    assertEquals(latest, store.indexWatermark(), "index watermark");
    SoakReplay replay = SoakReplay.of(c, sampleVersions(latest, new Random(soak.seed)));
    assertEquals(latest, replay.latest, "the last version of the history");
    State state = State.of(c);
    assertEquals(replay.finalState, state.statuses(), "edits.status against the replay");
    assertEquals(replay.active(), state.activeAtLatest(), "EDITS_AT(latest) against the replay");
    ownKeysRoute(c, replay.finalState);
    routesAtPastVersions(c, replay);
    Map<String, String> sample = sampleOf(soak.answers(), new Random(soak.seed + 1));
    reask(c, sample, soak.probes);
    readers.seenHistory.forEach(
        (seq, hash) -> assertEquals(hash, state.hashes().get(seq), "history row " + seq));
    assertVerifies(c);
    System.out.printf(
        "ConcurrencySoakTest: %d versions, %d history rows, %d edits (%d active), %d of %d"
            + " recorded answers asked again; checks took %.1f s%n",
        latest,
        replay.rows,
        state.statuses().size(),
        replay.active().size(),
        sample.size(),
        soak.answers().size(),
        (System.nanoTime() - t) / 1e9);
    return new Checked(state, sample);
  }

  /**
   * Each open connection holds one pooled H2 connection, so poolSize connections fill the pool;
   * each of them must still be able to commit, roll back to a version and verify the history (none
   * of which may wait for a pooled connection that no one will give back).
   */
  @Test
  void aFullPoolStillServesEveryOpenConnection() {
    String url = "jdbc:editdb:" + dir.resolve("small-pool");
    Properties p = new Properties();
    p.setProperty("user", "ana");
    p.setProperty("password", "");
    p.setProperty(EditDbDriver.POOL_SIZE, "2");
    assertTimeoutPreemptively(
        Duration.ofSeconds(20),
        () -> {
          try (Connection a = DriverManager.getConnection(url, p);
              Connection b = DriverManager.getConnection(url, p)) {
            a.createStatement().execute(TestDb.SMALL_LAYER);
            long id = TestDb.insert(b, "full pool", 0, 0);
            try (Statement st = b.createStatement()) {
              assertEquals(1, st.executeUpdate("ROLLBACK TO VERSION 1"));
            }
            assertEquals(0, TestDb.scalar(a, "SELECT COUNT(*) FROM EDITS_AT(3)"), "edit " + id);
            assertVerifies(a);
          }
        });
  }

  /**
   * ROLLBACK EDITS WHERE names no edit: if another transaction rolls back one of the edits it
   * matches while it waits for the writer slot, it rolls back the others instead of failing with
   * WRONG_STATE about an edit the user never named.
   */
  @Test
  void rollbackEditsWhereWaitingForTheWriterSlotRollsBackWhatIsStillActive() throws Exception {
    String url = TestDb.memUrl("where-race");
    try (Connection a = TestDb.connect(url);
        Connection b = TestDb.connect(url)) {
      a.createStatement().execute(TestDb.SMALL_LAYER);
      long first = TestDb.insert(a, "first", 0, 0);
      long second = TestDb.insert(a, "second", 1, 1);
      a.setAutoCommit(false);
      a.createStatement().executeUpdate("ROLLBACK EDIT " + first); // a holds the writer slot
      long[] rolledBack = {-1};
      SQLException[] failure = {null};
      Thread where =
          new Thread(
              () -> {
                try (Statement st = b.createStatement()) {
                  rolledBack[0] = st.executeUpdate("ROLLBACK EDITS WHERE layer = 'small'");
                } catch (SQLException e) {
                  failure[0] = e;
                }
              },
              "rollback-edits-where");
      where.start();
      // Until b waits for the writer slot, having seen both edits active.
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (where.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      a.commit();
      where.join(10_000);
      if (failure[0] != null) {
        throw failure[0];
      }
      assertEquals(1, rolledBack[0]);
      assertEquals(
          0,
          TestDb.scalar(a, "SELECT COUNT(*) FROM edits WHERE status = 'ACTIVE'"),
          "edit " + second);
    }
  }

  // ---- the run ----

  private interface Body {
    void run() throws Exception;
  }

  private void run(SoakState soak, SoakReaders readers, Connection anchor) throws Exception {
    Router router = anchor.unwrap(Router.class);
    EditStore store = anchor.unwrap(EditStore.class);
    List<Connection> connections = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < WRITERS; i++) {
      SoakWriter w = new SoakWriter(soak, "soak-writer-" + i, open(soak, connections));
      threads.add(thread(soak, w.toString(), w::run));
    }
    threads.add(thread(soak, "soak-route-latest", () -> readers.routeLatest(router, store)));
    Connection pinned = open(soak, connections);
    threads.add(
        thread(soak, "soak-route-pinned", () -> readers.routePinned(router, store, pinned)));
    Connection sql = open(soak, connections);
    threads.add(thread(soak, "soak-sql-routes", () -> readers.sqlRoutes(sql)));
    Connection audit = open(soak, connections);
    threads.add(thread(soak, "soak-audits", () -> readers.audits(audit)));
    threads.forEach(Thread::start);
    // On a hang the connections stay open: closing one under a stuck thread could hang too.
    joinOrDump(threads, soak);
    for (Connection c : connections) {
      c.close();
    }
  }

  private static Connection open(SoakState soak, List<Connection> connections) throws SQLException {
    Connection c = TestDb.connect(soak.url);
    connections.add(c);
    return c;
  }

  /** A named thread whose every failure is collected, never lost in a log. */
  private static Thread thread(SoakState soak, String name, Body body) {
    return new Thread(
        () -> {
          try {
            body.run();
          } catch (Throwable e) {
            soak.fail(name, e);
          }
        },
        name);
  }

  /** Waits for every thread, but not forever: a thread still alive after that is a hang. */
  private static void joinOrDump(List<Thread> threads, SoakState soak) throws InterruptedException {
    long deadline = soak.deadlineNanos + GRACE_SECONDS * 1_000_000_000L;
    for (Thread t : threads) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    }
    List<String> alive = threads.stream().filter(Thread::isAlive).map(Thread::getName).toList();
    if (!alive.isEmpty()) {
      threads.forEach(Thread::interrupt);
      throw new AssertionError(
          "threads still running "
              + GRACE_SECONDS
              + " s after the deadline: "
              + alive
              + "\n"
              + threadDump());
    }
  }

  private static String threadDump() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long[] deadlocked = mx.findDeadlockedThreads();
    StringBuilder b = new StringBuilder("deadlocked thread ids: ");
    b.append(deadlocked == null ? "none" : Arrays.toString(deadlocked)).append('\n');
    for (ThreadInfo info : mx.dumpAllThreads(true, true)) {
      b.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
      if (info.getLockName() != null) {
        b.append(" on ")
            .append(info.getLockName())
            .append(" owned by ")
            .append(info.getLockOwnerName());
      }
      b.append('\n');
      for (StackTraceElement f : info.getStackTrace()) {
        b.append("    at ").append(f).append('\n');
      }
    }
    return b.toString();
  }

  // ---- checks after the run ----

  /** What must survive closing and reopening the store. */
  private record State(
      long latest,
      Map<Long, Boolean> statuses,
      List<Long> activeAtLatest,
      Map<Long, String> hashes) {

    static State of(Connection c) throws SQLException {
      long latest = scalar(c, "SELECT COALESCE(MAX(version), 0) FROM versions");
      assertEquals(latest, c.unwrap(EditStore.class).latestVersion(), "the store's latest");
      Map<Long, Boolean> statuses = new TreeMap<>();
      Map<Long, String> hashes = new TreeMap<>();
      try (Statement st = c.createStatement()) {
        try (ResultSet rs = st.executeQuery("SELECT id, status FROM edits ORDER BY id")) {
          while (rs.next()) {
            statuses.put(rs.getLong(1), "ACTIVE".equals(rs.getString(2)));
          }
        }
        try (ResultSet rs = st.executeQuery("SELECT seq, hash FROM edit_history ORDER BY seq")) {
          while (rs.next()) {
            hashes.put(rs.getLong(1), rs.getString(2));
          }
        }
      }
      return new State(
          latest, statuses, ids(c, "SELECT id FROM EDITS_AT(?) ORDER BY id", latest), hashes);
    }
  }

  /** Versions whose routing is checked edit by edit: the first, the last, and some between. */
  private static Set<Long> sampleVersions(long latest, Random rnd) {
    Set<Long> out = new TreeSet<>(List.of(1L, latest));
    for (int i = 0; i < 12; i++) {
      out.add(1 + rnd.nextLong(latest));
    }
    return out;
  }

  /** With SQL, at the latest version: each edit's own keys route to it iff it is active. */
  private static void ownKeysRoute(Connection c, Map<Long, Boolean> statuses) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet edits =
            st.executeQuery("SELECT id, layer, visual_key, text_key FROM edits ORDER BY id");
        PreparedStatement route = c.prepareStatement("SELECT edit_id, gate FROM ROUTE(?, ?, ?)")) {
      while (edits.next()) {
        long id = edits.getLong(1);
        route.setString(1, edits.getString(2));
        route.setBytes(2, edits.getBytes(3));
        route.setBytes(3, edits.getBytes(4));
        List<Long> routed = new ArrayList<>();
        try (ResultSet rs = route.executeQuery()) {
          while (rs.next()) {
            routed.add(rs.getLong(1));
          }
        }
        assertEquals(
            statuses.get(id),
            routed.contains(id),
            () -> "edit " + id + " routed by its own keys at the latest version: " + routed);
      }
    }
  }

  /**
   * With the in-process router, at sampled past versions: each edit's own keys route to it iff the
   * replayed history says it was active then, and nothing routed was inactive then.
   */
  private static void routesAtPastVersions(Connection c, SoakReplay replay) throws SQLException {
    Router router = c.unwrap(Router.class);
    EditStore store = c.unwrap(EditStore.class);
    Map<Long, float[][]> keys = new LinkedHashMap<>();
    Map<Long, String> layers = new LinkedHashMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT id, layer, visual_key, text_key FROM edits ORDER BY id")) {
      while (rs.next()) {
        keys.put(
            rs.getLong(1),
            new float[][] {VectorCodec.decode(rs.getBytes(3)), VectorCodec.decode(rs.getBytes(4))});
        layers.put(rs.getLong(1), rs.getString(2));
      }
    }
    for (Map.Entry<Long, Set<Long>> at : replay.activeAt.entrySet()) {
      long v = at.getKey();
      Set<Long> active = at.getValue();
      assertEquals(List.copyOf(active), store.activeEditIds(null, v), "active ids at " + v);
      for (Map.Entry<Long, float[][]> e : keys.entrySet()) {
        long id = e.getKey();
        List<RoutedEdit> routed =
            router.route(new RouteQuery(layers.get(id), e.getValue()[0], e.getValue()[1], v, null));
        assertTrue(
            routed.stream().allMatch(r -> active.contains(r.editId())),
            () -> "routed to an edit inactive at " + v + ": " + routed);
        assertEquals(
            active.contains(id),
            routed.stream().anyMatch(r -> r.editId() == id),
            () -> "edit " + id + " routed by its own keys at version " + v + ": " + routed);
      }
    }
  }

  /** Up to 1,000 of the recorded answers, to ask again after the run and after reopening. */
  private static Map<String, String> sampleOf(Map<String, String> answers, Random rnd) {
    List<String> questions = new ArrayList<>(answers.keySet());
    java.util.Collections.shuffle(questions, rnd);
    Map<String, String> out = new TreeMap<>();
    for (String q : questions.subList(0, Math.min(1000, questions.size()))) {
      out.put(q, answers.get(q));
    }
    return out;
  }

  /** Asks recorded questions again with SQL: a past version's answers never change. */
  private static void reask(
      Connection c, Map<String, String> questions, Map<String, float[][][]> probes)
      throws SQLException {
    try (PreparedStatement route =
            c.prepareStatement("SELECT edit_id, gate FROM ROUTE(?, ?, ?, ?)");
        PreparedStatement editsAt = c.prepareStatement("SELECT id FROM EDITS_AT(?) ORDER BY id")) {
      for (Map.Entry<String, String> q : questions.entrySet()) {
        String[] part = q.getKey().split("\\|");
        String now;
        if (part[0].equals("ROUTE")) {
          float[][] probe = probes.get(part[1])[Integer.parseInt(part[2])];
          route.setString(1, part[1]);
          route.setObject(2, probe[0]);
          route.setObject(3, probe[1]);
          route.setLong(4, Long.parseLong(part[3]));
          try (ResultSet rs = route.executeQuery()) {
            now = SoakState.routeAnswer(rs);
          }
        } else {
          editsAt.setLong(1, Long.parseLong(part[1]));
          List<Long> ids = new ArrayList<>();
          try (ResultSet rs = editsAt.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getLong(1));
            }
          }
          now = ids.toString();
        }
        assertEquals(q.getValue(), now, () -> "asked again: " + q.getKey());
      }
    }
  }

  private static void assertVerifies(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("VERIFY HISTORY")) {
      rs.next();
      boolean ok = rs.getBoolean("OK");
      String problem = rs.getString("PROBLEM") + " at seq " + rs.getString("FIRST_BAD_SEQ");
      assertTrue(ok, () -> "VERIFY HISTORY: " + problem);
    }
  }
}
