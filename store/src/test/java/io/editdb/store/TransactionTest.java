package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The commit protocol of a {@link Transaction}: a commit publishes exactly one version (durable,
 * applied by the index, then announced, with the layers it created); a commit that fails publishes
 * nothing and hands nothing back, so the next transaction continues where the failed one began.
 */
class TransactionTest {

  private static long versionsAfter(EditStore s, long version) throws SQLException {
    try (var c = s.readConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT COUNT(*) FROM versions WHERE version > " + version)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void aCommitPublishesExactlyOneVersion() throws Exception {
    Random r = new Random(Fixtures.seed());
    try (EditStore s = EditStore.open(Fixtures.mem());
        StoreSession w = s.openSession("ana")) {
      s.createLayer(Fixtures.layer("a").build(), "ana");
      long v0 = s.latestVersion();
      List<Object> before = s.writerState();
      w.createLayer(Fixtures.layer("b").build());
      long first = w.insert(Fixtures.edit(r, "b", 2).build());
      w.insert(Fixtures.edit(r, "a", 2).build());
      assertTrue(s.findLayer("b").isEmpty(), "a layer is published only at the commit");
      assertEquals(before, s.writerState(), "counters reach the store only at the commit");

      long v = w.commit();

      assertEquals(v0 + 1, v);
      assertEquals(1, versionsAfter(s, v0), "one version row");
      assertEquals(v, s.latestVersion());
      assertEquals(v, s.indexWatermark(), "the index applied it before it was announced");
      assertEquals(1, s.activeCount(s.layer("b"), v));
      assertEquals(1, s.activeCount(s.layer("a"), v));
      assertEquals(v, s.layer("b").createdVersion());
      long lastSeq = (Long) before.get(2);
      assertEquals(
          List.of(first + 2, (Integer) before.get(1) + 1, lastSeq + 3),
          s.writerState().subList(0, 3),
          "two ids, one layer id and three history rows given out");
      assertTrue(s.verifyHistory().ok());
    }
  }

  @Test
  void aCommitThatFailsPublishesNothingAndHandsNothingBack() throws Exception {
    Random r = new Random(Fixtures.seed());
    try (EditStore s = EditStore.open(Fixtures.mem());
        StoreSession w = s.openSession("ana");
        StoreSession next = s.openSession("bob")) {
      s.createLayer(Fixtures.layer("a").build(), "ana");
      long v0 = s.latestVersion();
      List<Object> before = s.writerState();
      long id = w.insert(Fixtures.edit(r, "a", 2).build());
      w.createLayer(Fixtures.layer("b").build());
      w.sql().close(); // the connection is lost before the commit: a real fault, no stand-in

      StoreException failed = assertThrows(StoreException.class, w::commit);

      assertEquals(StoreException.Kind.UNAVAILABLE, failed.kind());
      assertTrue(
          failed.getMessage().contains("commit of version " + (v0 + 1)), failed.getMessage());
      assertFalse(w.inWriteTransaction());
      assertEquals(v0, s.latestVersion());
      assertEquals(v0, s.indexWatermark());
      assertEquals(0, versionsAfter(s, v0), "nothing of it is in H2");
      assertTrue(s.findLayer("b").isEmpty(), "its layer is not published");
      assertEquals(before, s.writerState(), "its counters are not handed back");
      long start = System.nanoTime();
      StoreException unknown = assertThrows(StoreException.class, () -> s.checkVersion(v0 + 1));
      assertEquals(StoreException.Kind.UNKNOWN_VERSION, unknown.kind());
      assertTrue(
          System.nanoTime() - start < s.config().writeLockTimeout().toNanos() / 2,
          "nobody waits for the failed version");

      // the writer slot is free, and the next transaction continues where the failed one began
      assertEquals(id, next.insert(Fixtures.edit(r, "a", 2).build()));
      assertEquals(v0 + 1, next.commit());
      assertEquals(List.of(id), s.activeEditIds("a", v0 + 1));
      assertTrue(s.verifyHistory().ok());
    }
  }
}
