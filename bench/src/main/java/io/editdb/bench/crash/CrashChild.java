package io.editdb.bench.crash;

import io.editdb.store.EditStore;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * The process the crash harness kills: writes edits to a store through the JDBC driver, as fast as
 * it can and forever, and tells its parent on stdout what every version contains. Each line is
 * flushed before the next step, so whatever the parent reads is what the child had seen when it
 * died (a pipe keeps what was written to it after the writer is killed).
 *
 * <pre>
 * READY latest [tag=id ...]   opened: the store's latest version, the edits created by it
 * TRY tag                     about to insert this edit (it must never exist uncommitted)
 * PENDING v op ...            about to commit version v with exactly these operations:
 *                             L (create layer), I:tag (insert), R:id (roll back), S:id
 *                             (restore), T:t (rollback to version t; its R and S follow)
 * COMMITTED v [tag=id ...]    commit() returned version v; the ids of its inserts
 * ABORTED                     the open transaction was rolled back
 * REOPEN                      closing the connection (the store closes) and reconnecting
 * ERROR what                  the child failed: anything but a kill ending it is a finding
 * </pre>
 *
 * Arguments: store directory, seed, run name (makes tags unique on the store). Runs through the
 * driver with auto-commit on (one statement, one version; batches) and off (several statements,
 * then commit or rollback).
 */
public final class CrashChild {
  /** The user the writer and the checker connect as: the first, so the store's administrator. */
  static final String USER = "ana";

  private final String url;
  private final Random random;
  private final String run;
  private final PrintStream out;
  private Connection conn;
  private EditStore store;
  private int counter;
  // What the child believes is committed: ids active and rolled back, and the active set of
  // every version it saw (for ROLLBACK TO VERSION).
  private Set<Long> active = new TreeSet<>();
  private Set<Long> retired = new TreeSet<>();
  private final Map<Long, Set<Long>> activeAt = new HashMap<>();

  private CrashChild(String dir, long seed, String run) {
    this.url = "jdbc:editdb:" + dir;
    this.random = new Random(seed);
    this.run = run;
    this.out =
        new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: CrashChild <store-dir> <seed> <run>");
      System.exit(2);
    }
    Thread orphaned = new Thread(CrashChild::haltWhenParentGoes, "crash-child-parent-watch");
    orphaned.setDaemon(true);
    orphaned.start();
    try {
      new CrashChild(args[0], Long.parseLong(args[1]), args[2]).loop();
    } catch (Throwable t) {
      // Anything but a kill ending the child is a finding; the parent reports this line.
      t.printStackTrace();
      System.out.println("ERROR " + t.toString().replace('\n', ' '));
      System.out.flush();
      System.exit(3);
    }
  }

  /**
   * The parent holds our stdin open and never writes to it: end of input means the parent is gone
   * (a test run cut short), and a writer that loops forever must not outlive it.
   */
  private static void haltWhenParentGoes() {
    try {
      while (System.in.read() >= 0) {
        // nothing is ever sent
      }
    } catch (java.io.IOException e) {
      // same as end of input
    }
    Runtime.getRuntime().halt(4);
  }

  private void say(String line) {
    out.println(line);
    out.flush();
  }

  private void loop() throws SQLException {
    connect();
    StringBuilder ready = new StringBuilder("READY ").append(store.latestVersion());
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, prompt, status, created_version FROM edits")) {
      while (rs.next()) {
        long id = rs.getLong(1);
        ("ACTIVE".equals(rs.getString(3)) ? active : retired).add(id);
        if (rs.getLong(4) == store.latestVersion()) {
          ready.append(' ').append(CrashData.tagOf(rs.getString(2))).append('=').append(id);
        }
      }
    }
    activeAt.put(store.latestVersion(), new TreeSet<>(active));
    say(ready.toString());
    if (store.findLayer(CrashData.LAYER).isEmpty()) {
      long v = expect("L");
      try (Statement st = conn.createStatement()) {
        st.execute(CrashData.CREATE_LAYER);
      }
      committed(v, Map.of());
    }
    while (true) {
      step();
    }
  }

  private void connect() throws SQLException {
    conn = DriverManager.getConnection(url, USER, "");
    store = conn.unwrap(EditStore.class);
  }

  private void step() throws SQLException {
    int p = random.nextInt(100);
    if (p < 30) {
      insertOne();
    } else if (p < 38) {
      insertBatch(2 + random.nextInt(3));
    } else if (p < 50 && !active.isEmpty()) {
      long id = pick(active);
      long v = expect("R:" + id);
      check(1, update("ROLLBACK EDIT " + id + " REASON 'crash workload'"), "ROLLBACK EDIT");
      move(id, active, retired);
      committed(v, Map.of());
    } else if (p < 58 && !retired.isEmpty()) {
      long id = pick(retired);
      long v = expect("S:" + id);
      check(1, update("RESTORE EDIT " + id), "RESTORE EDIT");
      move(id, retired, active);
      committed(v, Map.of());
    } else if (p < 63 && active.size() >= 2) {
      rollbackWhere();
    } else if (p < 67) {
      rollbackToVersion();
    } else if (p < 96) {
      transaction();
    } else {
      say("REOPEN");
      conn.close();
      connect();
    }
  }

  private String nextTag() {
    return run + "n" + counter++;
  }

  private void insertOne() throws SQLException {
    String tag = nextTag();
    say("TRY " + tag);
    long v = expect("I:" + tag);
    long id = insert(tag);
    active.add(id);
    committed(v, Map.of(tag, id));
  }

  private void insertBatch(int n) throws SQLException {
    List<String> tags = new ArrayList<>();
    StringBuilder ops = new StringBuilder();
    for (int i = 0; i < n; i++) {
      String tag = nextTag();
      say("TRY " + tag);
      tags.add(tag);
      ops.append(i == 0 ? "" : " ").append("I:").append(tag);
    }
    try (PreparedStatement ps =
        conn.prepareStatement(CrashData.INSERT, Statement.RETURN_GENERATED_KEYS)) {
      for (String tag : tags) {
        CrashData.bind(ps, tag);
        ps.addBatch();
      }
      long v = expect(ops.toString());
      ps.executeBatch();
      Map<String, Long> ids = new LinkedHashMap<>();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        for (String tag : tags) {
          if (!keys.next()) {
            throw new IllegalStateException("batch returned fewer ids than edits");
          }
          ids.put(tag, keys.getLong(1));
        }
      }
      active.addAll(ids.values());
      committed(v, ids);
    }
  }

  private void rollbackWhere() throws SQLException {
    List<Long> ids = new ArrayList<>(new TreeSet<>(List.of(pick(active), pick(active))));
    StringBuilder ops = new StringBuilder();
    for (long id : ids) {
      ops.append(ops.isEmpty() ? "" : " ").append("R:").append(id);
    }
    long v = expect(ops.toString());
    String list = ids.toString().replace("[", "(").replace("]", ")");
    check(ids.size(), update("ROLLBACK EDITS WHERE id IN " + list), "ROLLBACK EDITS WHERE");
    for (long id : ids) {
      move(id, active, retired);
    }
    committed(v, Map.of());
  }

  /** Back to the active set of a version this child committed, if that changes anything. */
  private void rollbackToVersion() throws SQLException {
    List<Long> known = new ArrayList<>(activeAt.keySet());
    long target = known.get(random.nextInt(known.size()));
    Set<Long> wanted = activeAt.get(target);
    StringBuilder ops = new StringBuilder("T:" + target);
    for (long id : active) {
      if (!wanted.contains(id)) {
        ops.append(" R:").append(id);
      }
    }
    for (long id : wanted) {
      if (!active.contains(id)) {
        ops.append(" S:").append(id);
      }
    }
    if (ops.indexOf(" ") < 0) {
      return; // the store makes no version for a rollback that changes nothing
    }
    long v = expect(ops.toString());
    update("ROLLBACK TO VERSION " + target + " REASON 'crash workload'");
    retired.addAll(active);
    retired.removeAll(wanted);
    active = new TreeSet<>(wanted);
    committed(v, Map.of());
  }

  /** Several statements with auto-commit off, then commit (mostly) or rollback. */
  private void transaction() throws SQLException {
    Set<Long> act = new TreeSet<>(active);
    Set<Long> ret = new TreeSet<>(retired);
    List<String> ops = new ArrayList<>();
    Map<String, Long> ids = new LinkedHashMap<>();
    conn.setAutoCommit(false);
    int n = 2 + random.nextInt(4);
    for (int i = 0; i < n; i++) {
      int p = random.nextInt(10);
      if (p < 5) {
        String tag = nextTag();
        say("TRY " + tag);
        long id = insert(tag);
        ids.put(tag, id);
        act.add(id);
        ops.add("I:" + tag);
      } else if (p < 8 && !act.isEmpty()) {
        long id = pick(act); // may be one inserted in this same transaction
        check(1, update("ROLLBACK EDIT " + id), "ROLLBACK EDIT");
        act.remove(id);
        ret.add(id);
        ops.add("R:" + id);
      } else if (!ret.isEmpty()) {
        long id = pick(ret);
        check(1, update("RESTORE EDIT " + id + " REASON 'crash workload'"), "RESTORE EDIT");
        ret.remove(id);
        act.add(id);
        ops.add("S:" + id);
      }
    }
    if (ops.isEmpty() || random.nextInt(100) < 15) {
      conn.rollback();
      say("ABORTED");
    } else {
      long v = expect(String.join(" ", ops));
      conn.commit();
      active = act;
      retired = ret;
      committed(v, ids);
    }
    conn.setAutoCommit(true);
  }

  private long insert(String tag) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(CrashData.INSERT, Statement.RETURN_GENERATED_KEYS)) {
      CrashData.bind(ps, tag);
      check(1, ps.executeUpdate(), "INSERT");
      try (ResultSet keys = ps.getGeneratedKeys()) {
        if (!keys.next()) {
          throw new IllegalStateException("INSERT returned no id");
        }
        return keys.getLong(1);
      }
    }
  }

  private int update(String sql) throws SQLException {
    try (Statement st = conn.createStatement()) {
      return st.executeUpdate(sql);
    }
  }

  /** Announces the next version's operations; returns that version. */
  private long expect(String ops) {
    long v = store.latestVersion() + 1;
    say("PENDING " + v + " " + ops);
    return v;
  }

  /** After commit() returned (and the caller updated its sets): reports the version. */
  private void committed(long v, Map<String, Long> ids) {
    if (store.latestVersion() != v) {
      throw new IllegalStateException(
          "commit returned but the store's latest version is "
              + store.latestVersion()
              + ", not "
              + v);
    }
    StringBuilder line = new StringBuilder("COMMITTED ").append(v);
    ids.forEach((tag, id) -> line.append(' ').append(tag).append('=').append(id));
    say(line.toString());
    activeAt.put(v, new TreeSet<>(active));
  }

  private static void move(long id, Set<Long> from, Set<Long> to) {
    from.remove(id);
    to.add(id);
  }

  private long pick(Set<Long> ids) {
    int i = random.nextInt(ids.size());
    for (long id : ids) {
      if (i-- == 0) {
        return id;
      }
    }
    throw new IllegalStateException("empty set");
  }

  private static void check(int expected, int actual, String what) {
    if (expected != actual) {
      throw new IllegalStateException(what + " changed " + actual + " rows, expected " + expected);
    }
  }
}
