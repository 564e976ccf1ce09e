package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * Races between the store's one writer and its readers, each reduced to the smallest loop that
 * showed it in the driver's soak test (ConcurrencySoakTest). They are probabilistic: a run that
 * passes proves little, but before the fixes each of these failed within a second or two.
 */
class EditStoreConcurrencyTest {
  private static final long RUN_NANOS = 3_000_000_000L;
  private final long seed = Fixtures.seed();

  /**
   * A reader that takes the latest version and reads the index at it must see exactly that version:
   * not the one before (the version was announced before the index had applied it), nor the one
   * after (the index moved on between choosing the filter and searching).
   */
  @Test
  void theIndexAtTheLatestVersionIsExactlyThatVersion() throws Exception {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      Layer layer = s.createLayer(Fixtures.layer("l1").build(), "admin");
      Random r = new Random(seed + 1);
      race(s, () -> assertIndexAt(s, layer, s.latestVersion(), r));
    }
  }

  /**
   * A version that SQL shows in {@code versions} is committed: routing at it must work, even in the
   * moment between the H2 commit and the index catching up.
   */
  @Test
  void aVersionThatSqlShowsCanBeRoutedAt() throws Exception {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      Layer layer = s.createLayer(Fixtures.layer("l1").build(), "admin");
      Random r = new Random(seed + 1);
      try (Connection c = s.readConnection();
          Statement st = c.createStatement()) {
        race(
            s,
            () -> {
              long v;
              try (ResultSet rs = st.executeQuery("SELECT MAX(version) FROM versions")) {
                rs.next();
                v = rs.getLong(1);
              }
              assertIndexAt(s, layer, v, r);
            });
      }
    }
  }

  /**
   * Every pooled connection held by an open session (a JDBC connection holds one for its life) must
   * not stop a commit: the index catch-up after it needs no connection of its own.
   */
  @Test
  void aCommitNeedsNoSecondConnectionFromAFullPool() {
    try (EditStore s = EditStore.open(Fixtures.mem().optPoolSize(2))) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
      try (StoreSession writer = s.openSession("ana");
          StoreSession idle = s.openSession("bob")) {
        long v =
            assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> {
                  writer.insert(Fixtures.edit(new Random(seed), "l1", 2).build());
                  return writer.commit();
                });
        assertEquals(2, v);
        assertEquals(1, s.activeCount(s.layer("l1"), v));
      }
    }
  }

  /** The index at version v holds exactly the edits H2 says are active at v. */
  private void assertIndexAt(EditStore s, Layer layer, long v, Random r) {
    Set<Long> truth = new HashSet<>(s.activeEditIds("l1", v));
    int counted = s.activeCount(layer, v);
    Set<Long> found = new HashSet<>();
    if (!truth.isEmpty()) {
      for (KeyHit h :
          s.searchKeys(layer, Fixtures.unit(r, Fixtures.VIS), null, 64, v, SearchMode.EXACT)) {
        found.add(h.editId());
      }
    }
    String at = "version " + v + " (seed " + seed + ")";
    assertEquals(truth.size(), counted, "active count at " + at);
    assertEquals(truth, found, "edits found at " + at);
  }

  private interface Check {
    void run() throws Exception;
  }

  /**
   * One writer commits small transactions (inserts, and rollbacks that keep at most nine edits
   * active) for a few seconds while one reader repeats {@code check}; fails with the first failure
   * of either.
   */
  private void race(EditStore s, Check check) throws Exception {
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    long end = System.nanoTime() + RUN_NANOS;
    Thread writer =
        new Thread(
            () -> {
              Random r = new Random(seed);
              List<Long> ids = new ArrayList<>();
              try {
                while (System.nanoTime() < end && failures.isEmpty()) {
                  try (StoreSession w = s.openSession("writer")) {
                    if (ids.size() > 8 || (ids.size() > 3 && r.nextInt(3) == 0)) {
                      w.rollbackEdit(ids.remove(r.nextInt(ids.size())), "race");
                    } else {
                      ids.add(w.insert(Fixtures.edit(r, "l1", 2).build()));
                    }
                    w.commit();
                  }
                }
              } catch (Throwable t) {
                failures.add(t);
              }
            },
            "race-writer");
    Thread reader =
        new Thread(
            () -> {
              try {
                while (writer.isAlive() && failures.isEmpty()) {
                  check.run();
                }
              } catch (Throwable t) {
                failures.add(t);
              }
            },
            "race-reader");
    writer.start();
    reader.start();
    writer.join(60_000);
    reader.join(60_000);
    if (!failures.isEmpty()) {
      AssertionError e = new AssertionError("seed " + seed + ": " + failures.peek());
      failures.forEach(e::addSuppressed);
      throw e;
    }
  }
}
