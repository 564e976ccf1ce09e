package io.editdb.driver;

import static io.editdb.driver.SoakState.ids;
import static io.editdb.driver.SoakState.prepared;
import static io.editdb.driver.SoakState.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * One writer thread of the soak, on its own JDBC connection: inserts (single and batched), edit
 * rollbacks and restores, ROLLBACK EDITS WHERE, ROLLBACK TO VERSION and multi-statement
 * transactions that commit or roll back. Every statement or transaction carries a tag unique to it
 * (the reason, and the prompt of inserted edits), so that its effects can be found in the history
 * and checked right after it: one version, holding exactly its changes.
 *
 * <p>The one refusal a writer may meet is {@link ErrorCode#WRONG_STATE} on ROLLBACK EDIT or RESTORE
 * EDIT of an edit it picked while another writer changed that edit's state. It counts as a
 * legitimate race only if the history shows such a change after the writer looked; anything else
 * fails the test (ROLLBACK EDITS WHERE names no edit, so it may not fail that way).
 */
final class SoakWriter {
  private final SoakState soak;
  private final String name;
  private final Connection c;
  private final Random rnd;
  private int tags;

  SoakWriter(SoakState soak, String name, Connection c) {
    this.soak = soak;
    this.name = name;
    this.c = c;
    this.rnd = soak.random(name);
  }

  void run() throws SQLException {
    while (soak.running()) {
      int op = rnd.nextInt(100);
      boolean full = scalar(c, "SELECT COUNT(*) FROM edits") >= SoakState.MAX_EDITS;
      if (op < 30 && !full) {
        insertOne();
      } else if (op < 38 && !full) {
        insertBatch();
      } else if (op < 58) {
        flip(true, tag(), new HashSet<>());
      } else if (op < 74) {
        flip(false, tag(), new HashSet<>());
      } else if (op < 80) {
        rollbackWhere();
      } else if (op < 83) {
        rollbackToVersion();
      } else {
        transaction();
      }
    }
  }

  private String tag() {
    return name + "-t" + tags++;
  }

  // ---- auto-commit statements ----

  private void insertOne() throws SQLException {
    String tag = tag();
    long id;
    try (PreparedStatement ps = c.prepareStatement(insertSql(), Statement.RETURN_GENERATED_KEYS)) {
      bindInsert(ps, tag, 0);
      assertEquals(1, ps.executeUpdate());
      try (ResultSet keys = ps.getGeneratedKeys()) {
        keys.next();
        id = keys.getLong(1);
      }
    }
    // Ids of rolled-back transactions are handed out again: the key must be this edit's.
    assertEquals(id, scalar(c, "SELECT id FROM edits WHERE reason = ?", tag), "id of " + tag);
    soak.count("insert statements");
  }

  /** A batch with auto-commit on is one transaction: one version for all its edits. */
  private void insertBatch() throws SQLException {
    String tag = tag();
    int n = 2 + rnd.nextInt(4);
    try (PreparedStatement ps = c.prepareStatement(insertSql())) {
      for (int i = 0; i < n; i++) {
        bindInsert(ps, tag, i);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    List<Long> versions =
        ids(c, "SELECT DISTINCT created_version FROM edits WHERE reason = ?", tag);
    assertEquals(1, versions.size(), () -> "batch " + tag + " became versions " + versions);
    assertOnlyChangesOf(versions.get(0), tag, n);
    soak.count("insert batches");
  }

  /**
   * Rolls back (or restores) one edit picked among those active (or rolled back). Another writer
   * may change it between the pick and the statement: that refusal is the legitimate race.
   */
  private boolean flip(boolean rollback, String tag, Set<Long> touched) throws SQLException {
    long seenSeq = scalar(c, "SELECT COALESCE(MAX(seq), 0) FROM edit_history");
    String status = rollback ? "ACTIVE" : "ROLLED_BACK";
    long n = scalar(c, "SELECT COUNT(*) FROM edits WHERE status = ?", status);
    if (n == 0) {
      return false;
    }
    List<Long> picked =
        ids(
            c,
            "SELECT id FROM edits WHERE status = ? ORDER BY id LIMIT 1 OFFSET ?",
            status,
            rnd.nextInt((int) n));
    if (picked.isEmpty()) {
      return false; // fewer rows than counted a moment ago: others changed them
    }
    long id = picked.get(0);
    if (touched.contains(id)) {
      // plain SQL reads committed edits: it still shows this open transaction's own flips as
      // they were (README: Users and roles), so an edit flipped in it is not picked again
      return false;
    }
    String sql = (rollback ? "ROLLBACK" : "RESTORE") + " EDIT ? REASON ?";
    try (PreparedStatement ps = prepared(c, sql, id, tag)) {
      assertEquals(1, ps.executeUpdate());
      soak.count(rollback ? "rollbacks" : "restores");
      touched.add(id);
      return true;
    } catch (SQLException e) {
      raceOrFail(e, id, seenSeq, tag);
      return false;
    }
  }

  /**
   * The refusal must be WRONG_STATE and the history must show another writer's change to the edit
   * after this one looked; otherwise the refusal was wrong and the test fails with it.
   */
  private void raceOrFail(SQLException e, long id, long seenSeq, String tag) throws SQLException {
    boolean wrongState =
        ErrorCode.WRONG_STATE.sqlState().equals(e.getSQLState())
            && e.getErrorCode() == ErrorCode.WRONG_STATE.code();
    if (!wrongState) {
      throw e;
    }
    long changes =
        scalar(
            c,
            "SELECT COUNT(*) FROM edit_history WHERE edit_id = ? AND seq > ?"
                + " AND (reason IS NULL OR reason <> ?)",
            id,
            seenSeq,
            tag);
    if (changes == 0) {
      throw new AssertionError(
          "WRONG_STATE on edit " + id + " but nobody changed it after seq " + seenSeq, e);
    }
    soak.count("legitimate races (WRONG_STATE)");
  }

  /**
   * ROLLBACK EDITS WHERE over a small id range: it names no edit, so a concurrent change to one of
   * the matching edits must not make it fail.
   */
  private void rollbackWhere() throws SQLException {
    String tag = tag();
    long max = scalar(c, "SELECT COALESCE(MAX(id), 0) FROM edits");
    long from = 1 + (max == 0 ? 0 : rnd.nextLong(max));
    try (PreparedStatement ps =
        prepared(
            c,
            "ROLLBACK EDITS WHERE layer = ? AND id BETWEEN ? AND ? REASON ?",
            SoakState.LAYERS.get(rnd.nextInt(SoakState.LAYERS.size())),
            from,
            from + 8,
            tag)) {
      int n = ps.executeUpdate();
      if (n > 0) {
        long v = scalar(c, "SELECT MAX(version) FROM edit_history WHERE reason = ?", tag);
        assertOnlyChangesOf(v, tag, n);
      }
      soak.count("rollback edits where");
    }
  }

  /**
   * ROLLBACK TO VERSION of a recent version, in a transaction: the version it commits must have
   * exactly the active set of EDITS_AT(v).
   */
  private void rollbackToVersion() throws SQLException {
    String tag = tag();
    long latest = scalar(c, "SELECT COALESCE(MAX(version), 0) FROM versions");
    long v = Math.max(1, latest - rnd.nextInt(6));
    c.setAutoCommit(false);
    try {
      int n;
      try (PreparedStatement ps = prepared(c, "ROLLBACK TO VERSION ? REASON ?", v, tag)) {
        n = ps.executeUpdate();
      }
      c.commit();
      if (n > 0) {
        long committed = scalar(c, "SELECT MAX(version) FROM edit_history WHERE reason = ?", tag);
        // the version it made has exactly v's active set, whatever others committed after it
        // (plain SQL inside the transaction reads committed edits only: README, Users and roles)
        List<Long> made = ids(c, "SELECT id FROM EDITS_AT(?) ORDER BY id", committed);
        List<Long> atV = ids(c, "SELECT id FROM EDITS_AT(?) ORDER BY id", v);
        assertEquals(atV, made, () -> "after ROLLBACK TO VERSION " + v + " (" + tag + ")");
        assertOnlyChangesOf(committed, tag, n);
      }
      soak.count("rollbacks to version");
    } finally {
      c.setAutoCommit(true);
    }
  }

  /**
   * Two to four statements with auto-commit off, then commit (three times in four) or rollback. A
   * commit must make exactly one version holding exactly this transaction's changes; a rollback
   * must leave no trace.
   */
  private void transaction() throws SQLException {
    String tag = tag();
    int ops = 2 + rnd.nextInt(3);
    int changes = 0;
    int inserted = 0;
    Set<Long> touched = new HashSet<>();
    c.setAutoCommit(false);
    try {
      for (int i = 0; i < ops; i++) {
        int kind = rnd.nextInt(3);
        if (kind == 0 && scalar(c, "SELECT COUNT(*) FROM edits") < SoakState.MAX_EDITS) {
          try (PreparedStatement ps = c.prepareStatement(insertSql())) {
            bindInsert(ps, tag, i);
            assertEquals(1, ps.executeUpdate());
          }
          inserted++;
          changes++;
        } else if (flip(kind == 1, tag, touched)) {
          changes++;
        }
      }
      if (rnd.nextInt(4) == 0) {
        c.rollback();
        assertEquals(0, scalar(c, "SELECT COUNT(*) FROM edit_history WHERE reason = ?", tag));
        assertEquals(0, scalar(c, "SELECT COUNT(*) FROM edits WHERE reason = ?", tag));
        soak.count("transactions rolled back");
        return;
      }
      c.commit();
    } finally {
      c.setAutoCommit(true);
    }
    if (changes > 0) {
      List<Long> versions =
          ids(c, "SELECT DISTINCT version FROM edit_history WHERE reason = ?", tag);
      assertEquals(1, versions.size(), () -> "transaction " + tag + " became " + versions);
      assertOnlyChangesOf(versions.get(0), tag, changes);
      assertEquals(
          inserted,
          scalar(
              c,
              "SELECT COUNT(*) FROM edits WHERE reason = ? AND created_version = ?",
              tag,
              versions.get(0)));
    }
    soak.count("transactions committed");
  }

  /** Version v holds exactly the n history rows of the statement or transaction tagged so. */
  private void assertOnlyChangesOf(long v, String tag, int n) throws SQLException {
    try (PreparedStatement ps =
            prepared(
                c,
                "SELECT COUNT(*), COUNT(CASE WHEN reason = ? THEN 1 END),"
                    + " (SELECT edits_added + edits_retired + edits_restored FROM versions"
                    + " WHERE version = ?) FROM edit_history WHERE version = ?",
                tag,
                v,
                v);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      String what = "version " + v + " of " + tag;
      assertEquals(n, rs.getLong(2), () -> what + ": rows tagged");
      assertEquals(n, rs.getLong(1), () -> what + ": rows in the version");
      assertEquals(n, rs.getLong(3), () -> what + ": the version's counters");
    }
  }

  // ---- inserts ----

  private static String insertSql() {
    return "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a, expert_b,"
        + " rank, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
  }

  private void bindInsert(PreparedStatement ps, String tag, int i) throws SQLException {
    ps.setString(1, SoakState.LAYERS.get(rnd.nextInt(SoakState.LAYERS.size())));
    ps.setString(2, tag + "-" + i);
    ps.setString(3, "target of " + tag + "-" + i);
    ps.setObject(4, SoakState.gaussian(rnd, SoakState.VISUAL_DIM));
    ps.setObject(5, SoakState.gaussian(rnd, SoakState.TEXT_DIM));
    ps.setObject(6, SoakState.gaussian(rnd, SoakState.D));
    ps.setObject(7, SoakState.gaussian(rnd, SoakState.D));
    ps.setInt(8, 1);
    ps.setString(9, tag);
  }

  @Override
  public String toString() {
    return name;
  }
}
