package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The questions auditors ask, answered with plain SQL over layers, edits, history, versions. */
class AuditQueriesTest {

  /** ana inserts four edits; bob rolls two back with reasons; ana restores one. */
  private static void history(String url) throws SQLException {
    try (Connection ana = DriverManager.getConnection(url, "ana", "")) {
      ana.createStatement().execute("CREATE USER bob PASSWORD 'pw' ROLE EDITOR");
    }
    try (Connection ana = DriverManager.getConnection(url, "ana", "");
        Connection bob = DriverManager.getConnection(url, "bob", "pw")) {
      ana.createStatement().execute(TestDb.SMALL_LAYER);
      for (int i = 0; i < 4; i++) {
        TestDb.insert(ana, "prompt " + i, i, i);
      }
      Statement st = bob.createStatement();
      st.execute("ROLLBACK EDIT 1 REASON 'hallucinated colour'");
      st.execute("ROLLBACK EDIT 2 REASON 'duplicate of 3'");
      ana.createStatement().execute("RESTORE EDIT 2 REASON 'not a duplicate'");
    }
  }

  private static List<String> rows(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          b.append(i > 1 ? "|" : "").append(rs.getString(i));
        }
        out.add(b.toString());
      }
    }
    return out;
  }

  @Test
  void editsRolledBackInTheLastDayByAuthorWithTheReason() throws SQLException {
    String url = TestDb.memUrl("audit");
    try (Connection keep = TestDb.connect(url)) {
      history(url);
      assertEquals(
          List.of("ana|1|bob|hallucinated colour", "ana|2|bob|duplicate of 3"),
          rows(
              keep,
              "SELECT e.author, e.id, h.actor, h.reason FROM edit_history h"
                  + " JOIN edits e ON e.id = h.edit_id WHERE h.action = 'ROLLBACK'"
                  + " AND h.at > DATEADD('DAY', -1, CURRENT_TIMESTAMP) ORDER BY h.seq"));
      // still rolled back now: only edit 1
      assertEquals(
          List.of("ana|1"),
          rows(
              keep,
              "SELECT author, COUNT(*) FROM edits"
                  + " WHERE status = 'ROLLED_BACK' AND retired_at > DATEADD('DAY', -1,"
                  + " CURRENT_TIMESTAMP) GROUP BY author"));
      try (PreparedStatement ps =
          keep.prepareStatement(
              "SELECT COUNT(*) FROM edit_history"
                  + " WHERE action = 'ROLLBACK' AND actor = ? AND at > ?")) {
        ps.setString(1, "bob");
        ps.setObject(2, java.time.OffsetDateTime.now().minusDays(1));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertEquals(2, rs.getInt(1));
        }
      }
    }
  }

  @Test
  void whichEditsWereActiveAtVersionV() throws SQLException {
    String url = TestDb.memUrl("audit-v");
    try (Connection keep = TestDb.connect(url)) {
      history(url); // v1 layer, v2..v5 inserts, v6 rb 1, v7 rb 2, v8 restore 2
      assertEquals(List.of("1", "2", "3", "4"), rows(keep, "SELECT id FROM EDITS_AT(5)"));
      assertEquals(List.of("3", "4"), rows(keep, "SELECT id FROM EDITS_AT(7)"));
      // the same from the spans, as a join
      assertEquals(
          List.of("3", "4"),
          rows(
              keep,
              "SELECT DISTINCT e.id FROM edits e JOIN edit_spans s ON s.edit_id = e.id WHERE"
                  + " s.from_version <= 7 AND (s.to_version IS NULL OR s.to_version > 7) ORDER BY"
                  + " e.id"));
      // what changed between two versions
      assertEquals(
          List.of("2"),
          rows(keep, "SELECT id FROM EDITS_AT(8) EXCEPT SELECT id FROM" + " EDITS_AT(7)"));
    }
  }

  @Test
  void historyVersionsAndLayersAnswerAnySql() throws SQLException {
    String url = TestDb.memUrl("audit-sql");
    try (Connection keep = TestDb.connect(url)) {
      history(url);
      // window function: each edit's latest action
      assertEquals(
          List.of("1|ROLLBACK", "2|RESTORE", "3|INSERT", "4|INSERT"),
          rows(
              keep,
              "SELECT edit_id, action FROM (SELECT edit_id, action, ROW_NUMBER() OVER (PARTITION BY"
                  + " edit_id ORDER BY seq DESC) rn FROM edit_history WHERE edit_id IS NOT NULL)"
                  + " WHERE rn = 1 ORDER BY edit_id"));
      assertEquals(
          List.of("ana|6", "bob|2"),
          rows(
              keep, "SELECT actor, COUNT(*) FROM" + " edit_history GROUP BY actor ORDER BY actor"));
      assertEquals(
          List.of("1|0|0|0|ana", "2|1|0|0|ana", "6|0|1|0|bob", "8|0|0|1|ana"),
          rows(
              keep,
              "SELECT version, edits_added, edits_retired, edits_restored, actor FROM"
                  + " versions WHERE version IN (1, 2, 6, 8) ORDER BY version"));
      assertEquals(
          List.of("small|tiny-vlm|4|1"),
          rows(
              keep,
              "SELECT l.name, l.model, COUNT(e.id), l.created_version FROM layers l LEFT JOIN edits"
                  + " e ON e.layer = l.name GROUP BY l.name, l.model, l.created_version"));
      // the hash chain links each row to the one before
      assertEquals(
          List.of("0"),
          rows(
              keep,
              "SELECT COUNT(*) FROM edit_history h JOIN"
                  + " edit_history p ON p.seq = h.seq - 1 WHERE h.prev_hash <> p.hash"));
      assertFalse(rows(keep, "SELECT hash FROM edit_history").isEmpty());
      assertEquals(List.of("true|8|null|null"), rows(keep, "VERIFY HISTORY"));
    }
  }
}
