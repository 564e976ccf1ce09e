package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A session's transaction on its own: everything written between two commits is one version; a
 * refused write changes nothing and leaves the transaction's other writes; a rollback leaves no
 * trace, not even a used id; a commit with nothing written makes no version.
 */
class StoreSessionTest {

  private static long[] versionRow(EditStore s, long version) throws SQLException {
    try (var c = s.readConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT edits_added, edits_retired, edits_restored, layers_created FROM versions"
                    + " WHERE version = "
                    + version)) {
      assertTrue(rs.next(), "version " + version + " is recorded");
      return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)};
    }
  }

  @Test
  void everyWriteOfATransactionIsOneVersionAndARefusedWriteChangesNothing() throws Exception {
    Random r = new Random(3);
    try (EditStore s = EditStore.open(Fixtures.mem());
        StoreSession w = s.openSession("ana")) {
      long before = s.latestVersion();
      w.createLayer(Fixtures.layer("a").build());
      long first = w.insert(Fixtures.edit(r, "a", 2).build());
      assertTrue(w.inWriteTransaction());
      assertEquals(before + 1, w.pendingVersion());
      StoreException refused =
          assertThrows(StoreException.class, () -> w.insert(Fixtures.edit(r, "nope", 2).build()));
      assertEquals(StoreException.Kind.UNKNOWN_LAYER, refused.kind());
      long second = w.insert(Fixtures.edit(r, "a", 2).build());
      assertEquals(first + 1, second, "the refused insert used no id");
      w.rollbackEdit(first, "undo within the transaction");
      assertEquals(before, s.latestVersion(), "nothing is visible before the commit");
      long v = w.commit();
      assertEquals(before + 1, v);
      assertFalse(w.inWriteTransaction());
      assertEquals(List.of(second), s.activeEditIds("a", v));
      assertEquals(2, versionRow(s, v)[0], "added");
      assertEquals(1, versionRow(s, v)[1], "retired");
      assertEquals(1, versionRow(s, v)[3], "layers created");
      assertTrue(s.verifyHistory().ok());
    }
  }

  @Test
  void aRollbackLeavesNoTraceAndAnEmptyCommitNoVersion() throws Exception {
    Random r = new Random(4);
    try (EditStore s = EditStore.open(Fixtures.mem());
        StoreSession w = s.openSession("ana")) {
      s.createLayer(Fixtures.layer("a").build(), "ana");
      long v0 = s.latestVersion();
      long discarded = w.insert(Fixtures.edit(r, "a", 2).build());
      w.rollback();
      assertFalse(w.inWriteTransaction());
      assertEquals(v0, s.latestVersion());
      long kept = w.insert(Fixtures.edit(r, "a", 2).build());
      assertEquals(discarded, kept, "ids stay dense: the discarded one is given again");
      assertEquals(v0 + 1, w.commit(), "versions stay dense too");
      assertEquals(0, w.commit(), "nothing written: no version");
      assertEquals(v0 + 1, s.latestVersion());
      // writes that cancel out (insert, then roll it back) still make a version: both are history
      long gone = w.insert(Fixtures.edit(r, "a", 2).build());
      w.rollbackEdit(gone, "changed my mind");
      assertEquals(v0 + 2, w.commit());
      assertEquals(List.of(kept), s.activeEditIds("a", v0 + 2));
      assertTrue(s.verifyHistory().ok());
    }
  }

  @Test
  void aConditionRunsWithTheRightsOfTheConnectionItIsGiven() throws Exception {
    Random r = new Random(Fixtures.seed());
    try (EditStore s = EditStore.open(Fixtures.mem());
        StoreSession w = s.openSession("ana");
        Connection editor = s.connectAs(Role.EDITOR);
        Connection admin = s.readConnection()) {
      s.createLayer(Fixtures.layer("a").build(), "ana");
      long a = s.insert(Fixtures.edit(r, "a", 2).build(), "ana");
      long b = s.insert(Fixtures.edit(r, "a", 2).build(), "ana");
      long v = s.latestVersion();
      // an editor may not read the users table, whatever the condition does with it
      EditCondition peek =
          new EditCondition("id = ? OR (SELECT COUNT(*) FROM EDITDB.users) >= 0", List.of(a));

      assertThrows(SQLException.class, () -> w.rollbackEditsWhere(peek, editor, "peek"));

      assertFalse(w.inWriteTransaction());
      assertEquals(v, s.latestVersion());
      assertEquals(List.of(a, b), s.activeEditIds("a", v));
      // the same condition on a connection that may read users matches: the refusal was the rights
      assertEquals(2, w.rollbackEditsWhere(peek, admin, "as the administrator"));
      w.rollback();
      // a trailing comment in the condition comments out only the condition
      assertEquals(
          1, w.rollbackEditsWhere(new EditCondition("id = ? -- b", List.of(a)), editor, "one"));
      assertEquals(v + 1, w.commit());
      assertEquals(List.of(b), s.activeEditIds("a", v + 1));
      assertTrue(s.verifyHistory().ok());
    }
  }

  @Test
  void aConditionIsMatchedAgainOnceTheWriterSlotIsHeld() throws Exception {
    Random r = new Random(Fixtures.seed());
    try (EditStore s = EditStore.open(Fixtures.mem());
        StoreSession first = s.openSession("ana");
        StoreSession second = s.openSession("bob");
        Connection editor = s.connectAs(Role.EDITOR)) {
      s.createLayer(Fixtures.layer("a").build(), "ana");
      long x = s.insert(Fixtures.edit(r, "a", 2).build(), "ana");
      long z = first.insert(Fixtures.edit(r, "a", 2).build()); // holds the slot, not committed
      FutureTask<Integer> rollback =
          new FutureTask<>(
              () ->
                  second.rollbackEditsWhere(
                      new EditCondition("layer = ?", List.of("a")), editor, "all of a"));
      Thread t = new Thread(rollback, "second-writer");
      t.start();
      // it has matched x (z is not committed yet) and now waits for the writer slot
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (t.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(Thread.State.TIMED_WAITING, t.getState());
      long withZ = first.commit();

      assertEquals(2, rollback.get(20, TimeUnit.SECONDS), "matched again: z is in the set");
      long v = second.commit();
      assertEquals(withZ + 1, v);
      assertEquals(List.of(), s.activeEditIds("a", v));
      assertEquals(List.of(x, z), s.activeEditIds("a", withZ));
      assertTrue(s.verifyHistory().ok());
    }
  }
}
