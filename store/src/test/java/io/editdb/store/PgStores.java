package io.editdb.store;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.editdb.pgtest.PgCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Stores on the test run's throw-away PostgreSQL cluster ({@link PgCluster#shared()}), one new
 * database each, and the seeded workload the PostgreSQL tests run on them and on H2 alike.
 */
final class PgStores {
  private PgStores() {}

  /** A new, empty PostgreSQL store with its index in {@code indexDir}; skips without PostgreSQL. */
  static StoreConfig fresh(Path indexDir) {
    assumeTrue(
        PgCluster.available(),
        "PostgreSQL is not installed, so the PostgreSQL store's tests are skipped; install"
            + " Debian's postgresql (apt-get install postgresql) to run them");
    PgCluster pg = PgCluster.shared();
    String db = pg.createDatabase("store");
    return StoreConfig.postgres(pg.jdbcUrl(db), pg.superuser(), pg.password(), indexDir);
  }

  /** Another node of the same store, with its own index directory. */
  static StoreConfig node(StoreConfig first, Path indexDir) {
    StoreConfig.Postgres t = first.postgres();
    return StoreConfig.postgres(t.url(), t.user(), t.password(), indexDir);
  }

  /**
   * A seeded mix of writes: layer l1, then {@code versions} transactions of inserts, rollbacks,
   * restores and rollbacks to a version. Returns the versions committed (0: changed nothing).
   */
  static List<Long> workload(EditStore s, long seed, int versions) {
    Random r = new Random(seed);
    List<Long> committed = new ArrayList<>();
    if (s.findLayer("l1").isEmpty()) {
      committed.add(s.createLayer(Fixtures.layer("l1").build(), "admin").createdVersion());
    }
    for (int i = 0; i < versions; i++) {
      try (StoreSession ss = s.openSession("writer")) {
        List<Long> active = s.activeEditIds("l1", s.latestVersion());
        int op = r.nextInt(10);
        try {
          change(s, ss, r, active, op);
        } catch (StoreException e) {
          // Another node changed the edit since this one looked (already rolled back, restored):
          // refused, and the refused write changed nothing; insert instead.
          ss.insert(Fixtures.edit(r, "l1", 1).build());
        }
        committed.add(ss.commit());
      }
    }
    return committed;
  }

  private static void change(EditStore s, StoreSession ss, Random r, List<Long> active, int op) {
    {
      if (op < 6 || active.size() < 3) {
        for (int k = 1 + r.nextInt(3); k > 0; k--) {
          ss.insert(Fixtures.edit(r, "l1", 1 + r.nextInt(3)).build());
        }
      } else if (op < 8) {
        ss.rollbackEdit(active.get(r.nextInt(active.size())), "wrong");
      } else if (op < 9) {
        long gone = s.latestVersion() > 2 ? 2 + r.nextInt((int) s.latestVersion() - 1) : 1;
        ss.rollbackToVersion(gone, "back");
      } else {
        List<Long> retired = new ArrayList<>();
        for (long id = 1; id < firstFreeId(s); id++) {
          if (!active.contains(id)) {
            retired.add(id);
          }
        }
        if (retired.isEmpty()) {
          ss.insert(Fixtures.edit(r, "l1", 1).build());
        } else {
          ss.restoreEdit(retired.get(r.nextInt(retired.size())), "fine after all");
        }
      }
    }
  }

  private static long firstFreeId(EditStore s) {
    try (java.sql.Connection c = s.readConnection();
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(id), 0) + 1 FROM edits")) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * What a node answers at every version: the active ids and, for {@code queries} seeded keys, the
   * exact search's ids and scores from the node's own index. Two nodes (or backends) agree iff
   * these are equal. (Exact, because two nodes' HNSW graphs are built in different batches and may
   * differ in what an approximate search misses; the index's content is what must agree.)
   */
  static List<String> answers(EditStore s, long seed, int queries) {
    Random r = new Random(seed);
    List<float[]> keys = new ArrayList<>();
    for (int q = 0; q < queries; q++) {
      keys.add(Fixtures.unit(r, Fixtures.VIS));
    }
    List<String> out = new ArrayList<>();
    Layer l = s.layer("l1");
    for (long v = 1; v <= s.latestVersion(); v++) {
      out.add(v + " active " + s.activeEditIds("l1", v));
      for (float[] k : keys) {
        StringBuilder b = new StringBuilder(v + " hits");
        for (KeyHit h : s.searchKeys(l, k, null, 10, v, SearchMode.EXACT)) {
          b.append(' ').append(h.editId()).append(':').append(h.primary());
        }
        out.add(b.toString());
      }
    }
    return out;
  }
}
