package io.editdb.driver;

import static io.editdb.driver.TestDb.scalar;
import static io.editdb.driver.TestDb.scalarText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * VERIFY HISTORY against changes made behind the driver's back: the store is closed, its H2 file is
 * opened with a raw H2 connection and a row is changed, and the reopened store must report the
 * first bad row. A truncated tail leaves a chain that verifies, so the operator's digest recorded
 * outside the database (README, "Tamper evidence") must catch that.
 */
class TamperEvidenceTest {
  @TempDir Path dir;

  private String url() {
    return "jdbc:editdb:" + dir.resolve("store");
  }

  /** History: 1 CREATE_LAYER, 2-4 INSERT, 5 ROLLBACK, 6 RESTORE. */
  private void history() throws SQLException {
    try (Connection c = DriverManager.getConnection(url(), "ana", "")) {
      c.createStatement().execute(TestDb.SMALL_LAYER);
      for (int i = 0; i < 3; i++) {
        TestDb.insert(c, "prompt " + i, i, i);
      }
      c.createStatement().execute("ROLLBACK EDIT 2 REASON 'wrong'");
      c.createStatement().execute("RESTORE EDIT 2 REASON 'right after all'");
      assertEquals(6, scalar(c, "SELECT COUNT(*) FROM edit_history"));
    }
  }

  /** Runs SQL on the closed store's H2 file directly, as someone with file access could. */
  private void behindTheDriversBack(String sql) throws SQLException {
    try (Connection raw =
            DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("store/editdb"), "sa", "");
        Statement st = raw.createStatement()) {
      assertTrue(st.executeUpdate(sql) > 0, "the tampering changed a row: " + sql);
    }
  }

  private record Verdict(boolean ok, long firstBadSeq) {}

  private Verdict verify() throws SQLException {
    try (Connection c = DriverManager.getConnection(url(), "ana", "");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("VERIFY HISTORY")) {
      assertTrue(rs.next());
      return new Verdict(rs.getBoolean("ok"), rs.getLong("first_bad_seq"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "a reason rewritten | UPDATE edit_history SET reason = 'nothing to see' WHERE seq = 5 | 5",
        "an actor changed   | UPDATE edit_history SET actor = 'bob' WHERE seq = 3 | 3",
        "a time moved       | UPDATE edit_history SET at = DATEADD('DAY', -1, at) WHERE seq = 4 | 4",
        "an action changed  | UPDATE edit_history SET action = 'RESTORE' WHERE seq = 5 | 5",
        "a row deleted      | DELETE FROM edit_history WHERE seq = 4 | 5",
        "a hash replaced    | UPDATE edit_history SET hash = prev_hash WHERE seq = 2 | 2",
        "an edit's target   | UPDATE edits SET target = 'forged' WHERE id = 1 | 2",
        "a layer's settings | UPDATE layers SET visual_threshold = 0 | 1",
      })
  void verifyHistoryReportsTheFirstBadRow(String what, String tamper, long firstBad)
      throws SQLException {
    history();
    assertEquals(new Verdict(true, 0), verify());
    behindTheDriversBack(tamper);
    assertEquals(new Verdict(false, firstBad), verify(), what);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        // the replay compares the state with the history, so the forger undoes the cut-off
        // version's effects too: edit 2 back to rolled back, its span and version gone
        "the tail cut off with its state | DELETE FROM edit_history WHERE seq = 6;"
            + " DELETE FROM edit_spans WHERE edit_id = 2 AND from_version = 6;"
            + " UPDATE edits SET status = 'ROLLED_BACK', retired_version = 5 WHERE id = 2;"
            + " DELETE FROM versions WHERE version = 6",
        "a row rewritten and its chain recomputed | UPDATE edit_history SET reason = 'x' WHERE seq = 6",
      })
  void theOperatorsDigestCatchesWhatTheChainAloneCannot(String what, String tamper)
      throws SQLException {
    history();
    // what an operator records outside the database after each audit (README: Tamper evidence)
    long seq;
    String digest;
    try (Connection c = DriverManager.getConnection(url(), "ana", "")) {
      seq = scalar(c, "SELECT MAX(seq) FROM edit_history");
      digest = scalarText(c, "SELECT hash FROM edit_history WHERE seq = " + seq);
    }
    behindTheDriversBack(tamper);
    if (what.contains("recomputed")) {
      // the forger knows the algorithm and re-hashes the changed row: the chain verifies again
      rehashLastRow(seq);
    }
    assertTrue(verify().ok(), what + ": the chain alone does not see it");
    try (Connection c = DriverManager.getConnection(url(), "ana", "");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT hash FROM edit_history WHERE seq = " + seq)) {
      boolean same = rs.next() && rs.getString(1).equals(digest);
      assertFalse(same, what + ": the recorded digest no longer matches");
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Recomputes the last row's hash as a forger with the store's code would. */
  private void rehashLastRow(long seq) throws SQLException {
    try (Connection raw =
            DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("store/editdb"), "sa", "");
        Statement st = raw.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT prev_hash, version, edit_id, layer, action, actor, at, reason,"
                    + " content_hash FROM edit_history WHERE seq = "
                    + seq)) {
      assertTrue(rs.next());
      // the documented format (HistoryChain's javadoc): each field as a 4-byte big-endian length
      // and its UTF-8 bytes, the time as epoch microseconds
      MessageDigest md = sha256();
      long micros =
          ChronoUnit.MICROS.between(
              Instant.EPOCH, rs.getObject(7, OffsetDateTime.class).toInstant());
      for (Object field :
          new Object[] {
            rs.getString(1),
            seq,
            rs.getLong(2),
            rs.getLong(3),
            rs.getString(4),
            rs.getString(5),
            rs.getString(6),
            micros,
            rs.getString(8),
            rs.getString(9)
          }) {
        byte[] b = String.valueOf(field).getBytes(StandardCharsets.UTF_8);
        md.update(ByteBuffer.allocate(4).putInt(b.length).array());
        md.update(b);
      }
      String forged = HexFormat.of().formatHex(md.digest());
      assertNotEquals(rs.getString(1), forged);
      try (Statement up = raw.createStatement()) {
        up.executeUpdate("UPDATE edit_history SET hash = '" + forged + "' WHERE seq = " + seq);
      }
    }
  }
}
