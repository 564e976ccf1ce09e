package io.editdb.driver;

import static io.editdb.driver.SoakState.editsAtQuestion;
import static io.editdb.driver.SoakState.ids;
import static io.editdb.driver.SoakState.routeQuestion;
import static io.editdb.driver.SoakState.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.query.RouteQuery;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.store.EditRecord;
import io.editdb.store.EditStore;
import io.editdb.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reader threads of the soak. Two serve as inference code does (the in-process {@link Router}
 * from {@code unwrap}), two read as tools do (SQL through their own JDBC connection). Every answer
 * about a fixed version goes through {@link SoakState#same}, so readers of both kinds check each
 * other as well as themselves.
 */
final class SoakReaders {
  private final SoakState soak;

  /** History rows the auditor saw (seq to hash): the history is append-only, never rewritten. */
  final Map<Long, String> seenHistory = new ConcurrentHashMap<>();

  SoakReaders(SoakState soak) {
    this.soak = soak;
  }

  /**
   * Routes probes at the latest version, as a server does. When the latest version is the same
   * before and after, the route ran at that version, so its answer joins that version's record.
   */
  void routeLatest(Router router, EditStore store) {
    Random rnd = soak.random();
    while (soak.running()) {
      String layer = SoakState.LAYERS.get(rnd.nextInt(SoakState.LAYERS.size()));
      int p = rnd.nextInt(SoakState.PROBES);
      float[][] probe = soak.probes.get(layer)[p];
      long before = store.latestVersion();
      List<RoutedEdit> routed = router.route(RouteQuery.of(layer, probe[0], probe[1]));
      long after = store.latestVersion();
      if (before == after) {
        soak.same(routeQuestion(layer, p, before), SoakState.routeAnswer(routed));
      }
      soak.count("routes (Java, latest)");
      SoakState.breathe(rnd);
    }
  }

  /**
   * Holds one version while writers commit and keeps routing at it: each sampled edit's own keys
   * must route to it exactly when it is active at that version (docs/design.md section 2: a router
   * at version v sees exactly the edits active at v), however many versions come after.
   */
  void routePinned(Router router, EditStore store, Connection c) throws SQLException {
    Random rnd = soak.random();
    Map<Long, EditRecord> keys = new HashMap<>();
    while (soak.running()) {
      long latest = store.latestVersion();
      long v = rnd.nextBoolean() ? latest : 1 + rnd.nextLong(Math.max(1, latest));
      List<Long> activeList = store.activeEditIds(null, v);
      soak.same(editsAtQuestion(v), activeList.toString());
      Set<Long> active = new HashSet<>(activeList);
      long maxId = scalar(c, "SELECT COALESCE(MAX(id), 0) FROM edits");
      List<EditRecord> sample = new ArrayList<>();
      for (int i = 0; i < 12 && maxId > 0; i++) {
        long id = 1 + rnd.nextLong(maxId);
        EditRecord e = keys.computeIfAbsent(id, k -> editOrNull(store, k));
        if (e != null) {
          sample.add(e);
        }
      }
      for (int round = 0; round < 4 && soak.running(); round++) {
        for (EditRecord e : sample) {
          List<RoutedEdit> routed =
              router.route(new RouteQuery(e.layer(), e.visualKey(), e.textKey(), v, null));
          boolean found = routed.stream().anyMatch(r -> r.editId() == e.id());
          if (found != active.contains(e.id())) {
            throw new AssertionError(
                "edit "
                    + e.id()
                    + (found ? " was routed" : " was not routed")
                    + " at version "
                    + v
                    + " (latest now "
                    + store.latestVersion()
                    + ") but it is "
                    + (active.contains(e.id()) ? "active" : "not active")
                    + " there; route: "
                    + SoakState.routeAnswer(routed));
          }
          soak.count("routes (Java, pinned)");
          SoakState.breathe(rnd);
        }
        String layer = SoakState.LAYERS.get(rnd.nextInt(SoakState.LAYERS.size()));
        int p = rnd.nextInt(SoakState.PROBES);
        float[][] probe = soak.probes.get(layer)[p];
        List<RoutedEdit> routed = router.route(new RouteQuery(layer, probe[0], probe[1], v, null));
        assertTrue(
            routed.stream().allMatch(r -> active.contains(r.editId())),
            () -> "probe routed to an edit not active at " + v + ": " + routed);
        soak.same(routeQuestion(layer, p, v), SoakState.routeAnswer(routed));
        soak.count("routes (Java, pinned)");
      }
    }
  }

  private static EditRecord editOrNull(EditStore store, long id) {
    try {
      return store.edit(id);
    } catch (StoreException e) {
      return null; // an id of an insert still uncommitted, or rolled back with its transaction
    }
  }

  /**
   * Routes probes with SQL at a version read with SQL: the newest version in {@code versions}, or
   * an older one. A version that SQL shows as committed must be routable.
   */
  void sqlRoutes(Connection c) throws SQLException {
    Random rnd = soak.random();
    try (PreparedStatement ps = c.prepareStatement("SELECT edit_id, gate FROM ROUTE(?, ?, ?, ?)")) {
      while (soak.running()) {
        long latest = scalar(c, "SELECT COALESCE(MAX(version), 0) FROM versions");
        long v = rnd.nextBoolean() ? latest : rnd.nextLong(latest + 1);
        String layer = SoakState.LAYERS.get(rnd.nextInt(SoakState.LAYERS.size()));
        int p = rnd.nextInt(SoakState.PROBES);
        float[][] probe = soak.probes.get(layer)[p];
        ps.setString(1, layer);
        ps.setObject(2, probe[0]);
        ps.setObject(3, probe[1]);
        ps.setLong(4, v);
        try (ResultSet rs = ps.executeQuery()) {
          soak.same(routeQuestion(layer, p, v), SoakState.routeAnswer(rs));
        }
        soak.count("routes (SQL)");
        SoakState.breathe(rnd);
      }
    }
  }

  /**
   * Audits with SQL, as a tool would, checking invariants each statement must see whatever is being
   * committed: dense versions, a dense append-only history, statuses that agree with the spans and
   * with the version counters, EDITS_AT(v) stable for past v, VERIFY HISTORY passing.
   */
  void audits(Connection c) throws SQLException {
    Random rnd = soak.random();
    long lastSeq = 0;
    long lastVersion = 0;
    while (soak.running()) {
      try (Statement st = c.createStatement()) {
        try (ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*), COALESCE(MIN(version), 0), COALESCE(MAX(version), 0),"
                    + " (SELECT COUNT(*) FROM versions v WHERE NOT EXISTS"
                    + " (SELECT 1 FROM edit_history h WHERE h.version = v.version))"
                    + " FROM versions")) {
          rs.next();
          long n = rs.getLong(1);
          assertEquals(n, rs.getLong(3), "versions are dense: count = max");
          assertEquals(Math.min(n, 1), rs.getLong(2), "versions start at 1");
          assertEquals(0, rs.getLong(4), "versions that changed nothing");
        }
        try (ResultSet rs =
            st.executeQuery(
                "SELECT (SELECT COUNT(*) FROM edits),"
                    + " (SELECT COALESCE(SUM(edits_added), 0) FROM versions),"
                    + " (SELECT COUNT(*) FROM edit_history WHERE action = 'INSERT'),"
                    + " (SELECT COALESCE(SUM(edits_retired), 0) FROM versions),"
                    + " (SELECT COUNT(*) FROM edit_history WHERE action = 'ROLLBACK'),"
                    + " (SELECT COUNT(*) FROM edits e WHERE (e.status = 'ACTIVE') <> (EXISTS"
                    + " (SELECT 1 FROM edit_spans s WHERE s.edit_id = e.id"
                    + " AND s.to_version IS NULL)))")) {
          rs.next();
          assertEquals(rs.getLong(1), rs.getLong(2), "edits = sum of versions.edits_added");
          assertEquals(rs.getLong(1), rs.getLong(3), "edits = INSERT rows of the history");
          assertEquals(rs.getLong(4), rs.getLong(5), "edits_retired = ROLLBACK rows");
          assertEquals(0, rs.getLong(6), "edits whose status disagrees with their spans");
        }
        try (ResultSet rs =
            st.executeQuery(
                "SELECT seq, version, hash FROM edit_history WHERE seq > "
                    + lastSeq
                    + " ORDER BY seq")) {
          while (rs.next()) {
            long seq = rs.getLong(1);
            long version = rs.getLong(2);
            assertEquals(lastSeq + 1, seq, "history seq is dense");
            assertTrue(version >= lastVersion, "history versions ascend with seq");
            seenHistory.put(seq, rs.getString(3));
            lastSeq = seq;
            lastVersion = version;
          }
        }
      }
      long latest = scalar(c, "SELECT COALESCE(MAX(version), 0) FROM versions");
      long v = rnd.nextLong(latest + 1);
      soak.same(editsAtQuestion(v), ids(c, "SELECT id FROM EDITS_AT(?) ORDER BY id", v).toString());
      if (rnd.nextInt(25) == 0) {
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("VERIFY HISTORY")) {
          rs.next();
          assertTrue(rs.getBoolean("OK"), () -> "VERIFY HISTORY during the soak: " + row(rs));
        }
        soak.count("verify history");
      }
      soak.count("audits");
      SoakState.breathe(rnd);
    }
  }

  private static String row(ResultSet rs) {
    try {
      return rs.getString("PROBLEM") + " at seq " + rs.getString("FIRST_BAD_SEQ");
    } catch (SQLException e) {
      return e.toString();
    }
  }
}
