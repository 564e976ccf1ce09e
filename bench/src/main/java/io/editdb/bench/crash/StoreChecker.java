package io.editdb.bench.crash;

import io.editdb.query.RouteQuery;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.query.RouterConfig;
import io.editdb.store.EditRecord;
import io.editdb.store.EditStore;
import io.editdb.store.ExpertWeights;
import io.editdb.store.SearchMode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Opens a killed store in this process (through the driver, as a user would) and checks it against
 * what its children printed:
 *
 * <ul>
 *   <li>the version in doubt, if any, is there complete or not at all; nothing else is beyond the
 *       last printed version, and nothing printed is missing;
 *   <li>{@code versions} is dense (1..latest) and each row counts exactly its operations;
 *   <li>{@code edit_history} holds, per version, exactly its operations, and {@code VERIFY HISTORY}
 *       accepts the chain;
 *   <li>{@code edits} holds exactly the committed inserts, with the keys and weights the child
 *       sent, the status and retired version the operations imply, and no uncommitted edit;
 *   <li>{@code EDITS_AT(v)} is the expected active set (versions new since the last check, and a
 *       random sample of older ones);
 *   <li>the index agrees with H2: every active edit is routed when queried with its own keys, no
 *       rolled-back or uncommitted edit ever is (exact scan through {@code ROUTE} and HNSW through
 *       a {@link Router}), also at random past versions; the index watermark is the latest.
 * </ul>
 */
final class StoreChecker {
  /** What one check found. */
  record Result(List<String> problems, long latest, int versionsChecked, boolean rebuilt) {}

  private static final int SAMPLED_OLD_VERSIONS = 25;
  private static final int SAMPLED_ROUTED_TAGS = 40;

  /** A broken store breaks many checks at once; the first ones tell the story. */
  private static final int MAX_PROBLEMS = 20;

  private final Path dir;
  private final ExpectedHistory expected;
  private final Random random;
  private long sweptUpTo;

  StoreChecker(Path dir, ExpectedHistory expected, Random random) {
    this.dir = dir;
    this.expected = expected;
    this.random = random;
  }

  Result check(String who) {
    List<String> problems = new ArrayList<>();
    String before = IndexDamage.commitState(dir.resolve("index"));
    try (Connection c = DriverManager.getConnection("jdbc:editdb:" + dir, CrashChild.USER, "")) {
      String after = IndexDamage.commitState(dir.resolve("index"));
      // Opening commits the index only when it rebuilds it (a catch-up commits later).
      boolean rebuilt = after.startsWith("gen=") && !after.equals(before);
      EditStore store = c.unwrap(EditStore.class);
      long latest = store.latestVersion();
      Map<Long, EditRow> rows = editRows(c);
      Map<String, Long> idsOfLatest = new HashMap<>();
      rows.values().stream()
          .filter(e -> e.created == latest)
          .forEach(e -> idsOfLatest.put(e.tag, e.id));
      expected.settle(latest, idsOfLatest, who);
      problems.addAll(expected.takeProblems());
      if (expected.latest() != latest) {
        return new Result(problems, latest, 0, rebuilt); // reported; the rest would only echo it
      }
      int checked = new Pass(c, store, rows, problems).run();
      return new Result(problems, latest, checked, rebuilt);
    } catch (SQLException | RuntimeException e) {
      problems.add(who + ": STORE FAILS TO OPEN OR READ: " + e);
      return new Result(problems, -1, 0, false);
    }
  }

  private record EditRow(long id, String tag, String status, long created, Long retired) {}

  private static Map<Long, EditRow> editRows(Connection c) throws SQLException {
    Map<Long, EditRow> rows = new TreeMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT id, prompt, status, created_version, retired_version FROM edits")) {
      while (rs.next()) {
        long retired = rs.getLong(5);
        Long r = rs.wasNull() ? null : retired;
        rows.put(
            rs.getLong(1),
            new EditRow(
                rs.getLong(1),
                CrashData.tagOf(rs.getString(2)),
                rs.getString(3),
                rs.getLong(4),
                r));
      }
    }
    return rows;
  }

  /** One check of an open store whose latest version is the expected one. */
  private final class Pass {
    private final Connection c;
    private final EditStore store;
    private final Map<Long, EditRow> rows;
    private final List<String> problems;
    private final long latest;
    private int suppressed;

    Pass(Connection c, EditStore store, Map<Long, EditRow> rows, List<String> problems) {
      this.c = c;
      this.store = store;
      this.rows = rows;
      this.problems = problems;
      this.latest = store.latestVersion();
    }

    private void fail(String what) {
      if (problems.size() < MAX_PROBLEMS) {
        problems.add(dir.getFileName() + " at version " + latest + ": " + what);
      } else {
        suppressed++;
      }
    }

    int run() throws SQLException {
      versionsTable();
      history();
      edits();
      int checked = editsAt();
      routing();
      if (suppressed > 0) {
        problems.add("... and " + suppressed + " more problems");
      }
      return checked;
    }

    private void versionsTable() throws SQLException {
      long n = 0;
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT version, edits_added, edits_retired,"
                      + " edits_restored, layers_created FROM versions ORDER BY version")) {
        while (rs.next()) {
          long v = rs.getLong(1);
          if (v != ++n) {
            fail("VERSIONS NOT DENSE: found version " + v + " where " + n + " was due");
            return;
          }
          if (v > latest) {
            fail("version " + v + " exists beyond the latest " + latest);
            return;
          }
          ExpectedHistory.Version e = expected.version(v);
          int[] got = {rs.getInt(2), rs.getInt(3), rs.getInt(4), rs.getInt(5)};
          int[] want = {e.count('I'), e.count('R'), e.count('S'), e.count('L')};
          if (!Arrays.equals(got, want)) {
            fail(
                "version "
                    + v
                    + " counts (added, retired, restored, layers) "
                    + Arrays.toString(got)
                    + " but its operations "
                    + e.ops()
                    + " make "
                    + Arrays.toString(want));
          }
        }
      }
      if (n != latest) {
        fail("VERSIONS NOT DENSE: " + n + " rows for latest version " + latest);
      }
    }

    private void history() throws SQLException {
      Map<Long, List<String>> byVersion = new TreeMap<>();
      long rowCount = 0;
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery("SELECT version, action, edit_id FROM edit_history ORDER BY seq")) {
        while (rs.next()) {
          rowCount++;
          byVersion
              .computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
              .add(rs.getString(2) + ":" + rs.getObject(3));
        }
      }
      for (long v = 1; v <= latest; v++) {
        List<String> got = byVersion.getOrDefault(v, new ArrayList<>());
        got.sort(null);
        List<String> want = expected.version(v).historyRows();
        if (!got.equals(want)) {
          fail(
              "edit_history of version "
                  + v
                  + " is "
                  + got
                  + " but the child committed "
                  + expected.version(v).ops()
                  + " = "
                  + want);
        }
      }
      byVersion.keySet().stream()
          .filter(v -> v < 1 || v > latest)
          .forEach(v -> fail("edit_history has rows of version " + v + " beyond the latest"));
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("VERIFY HISTORY")) {
        rs.next();
        if (!rs.getBoolean("ok") || rs.getLong("checked") != rowCount) {
          fail(
              "VERIFY HISTORY: ok="
                  + rs.getBoolean("ok")
                  + " checked="
                  + rs.getLong("checked")
                  + " of "
                  + rowCount
                  + " rows, first bad seq "
                  + rs.getObject("first_bad_seq")
                  + ": "
                  + rs.getString("problem"));
        }
      }
    }

    private void edits() {
      Map<String, Long> committed = expected.committedTags();
      Set<Long> activeNow = expected.activeAt(latest);
      for (EditRow row : rows.values()) {
        Long id = committed.get(row.tag);
        if (id == null) {
          fail(
              "UNCOMMITTED EDIT STORED: edit "
                  + row.id
                  + " (tag "
                  + row.tag
                  + ") was never"
                  + " committed");
        } else if (id != row.id) {
          fail("edit " + row.tag + " has id " + row.id + " but its commit returned id " + id);
        }
      }
      for (Map.Entry<String, Long> e : committed.entrySet()) {
        long id = e.getValue();
        EditRow row = rows.get(id);
        if (row == null || !e.getKey().equals(row.tag)) {
          fail(
              "LOST EDIT: "
                  + e.getKey()
                  + " (id "
                  + id
                  + ", committed in version "
                  + expected.insertedAt(id)
                  + ") is not in edits");
          continue;
        }
        String status = activeNow.contains(id) ? "ACTIVE" : "ROLLED_BACK";
        Long retired = expected.retiredVersion(id);
        if (!status.equals(row.status)
            || row.created != expected.insertedAt(id)
            || !java.util.Objects.equals(retired, row.retired)) {
          fail(
              "edit "
                  + id
                  + " is "
                  + row.status
                  + " created "
                  + row.created
                  + " retired "
                  + row.retired
                  + " but should be "
                  + status
                  + " created "
                  + expected.insertedAt(id)
                  + " retired "
                  + retired);
        }
        String tag = e.getKey();
        EditRecord r = store.edit(id);
        ExpertWeights w = store.weights(id);
        if (!Arrays.equals(r.visualKey(), CrashData.visualKey(tag))
            || !Arrays.equals(r.textKey(), CrashData.textKey(tag))
            || !Arrays.equals(w.a(), CrashData.expertA(tag))
            || !Arrays.equals(w.b(), CrashData.expertB(tag))
            || !CrashData.target(tag).equals(r.target())) {
          fail(
              "edit "
                  + id
                  + " ("
                  + tag
                  + ") does not hold the keys, weights and target its"
                  + " insert sent");
        }
      }
    }

    /** EDITS_AT for versions new since the last check, a sample of older ones, the latest. */
    private int editsAt() throws SQLException {
      Set<Long> versions = new TreeSet<>();
      for (long v = sweptUpTo + 1; v <= latest; v++) {
        versions.add(v);
      }
      for (int i = 0; i < SAMPLED_OLD_VERSIONS && latest > 0; i++) {
        versions.add(1 + random.nextLong(latest));
      }
      versions.add(latest);
      versions.remove(0L);
      try (PreparedStatement ps = c.prepareStatement("SELECT id FROM EDITS_AT(?)")) {
        for (long v : versions) {
          ps.setLong(1, v);
          Set<Long> got = new TreeSet<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              got.add(rs.getLong(1));
            }
          }
          if (!got.equals(expected.activeAt(v))) {
            fail(
                "EDITS_AT("
                    + v
                    + ") is "
                    + got
                    + " but the committed operations make "
                    + expected.activeAt(v));
          }
        }
      }
      sweptUpTo = latest;
      return versions.size();
    }

    private void routing() throws SQLException {
      if (store.findLayer(CrashData.LAYER).isEmpty()) {
        return; // killed before the layer's version: nothing to route
      }
      if (store.indexWatermark() != latest) {
        fail("index watermark " + store.indexWatermark() + " is not the latest version");
      }
      Set<Long> activeNow = expected.activeAt(latest);
      int counted = store.activeCount(store.layer(CrashData.LAYER), latest);
      if (counted != activeNow.size()) {
        fail("INDEX DISAGREES: it counts " + counted + " active edits, H2 has " + activeNow.size());
      }
      Router hnsw = new Router(store, RouterConfig.DEFAULT.withForcedMode(SearchMode.HNSW));
      List<String> tags = new ArrayList<>(expected.committedTags().keySet());
      List<String> ghosts = expected.ghosts();
      try (PreparedStatement now = c.prepareStatement("SELECT edit_id FROM ROUTE(?, ?, ?)");
          PreparedStatement then = c.prepareStatement("SELECT edit_id FROM ROUTE(?, ?, ?, ?)")) {
        for (String tag : tags) {
          routeOwnKeys(now, hnsw, tag, null);
        }
        for (String ghost : ghosts) {
          routeOwnKeys(now, hnsw, ghost, null);
        }
        for (int i = 0; i < 2 && latest > 1; i++) {
          long v = 1 + random.nextLong(latest - 1);
          Collections.shuffle(tags, random);
          for (String tag : tags.subList(0, Math.min(SAMPLED_ROUTED_TAGS, tags.size()))) {
            routeOwnKeys(then, hnsw, tag, v);
          }
        }
      }
    }

    /**
     * Routes with the edit's own keys: the result must be the edit alone when it is active at the
     * version, and empty otherwise. Keys of different tags are 7 standard deviations below the
     * threshold apart, so any other hit is the index returning something H2 does not have active
     * there (a rolled-back edit, an uncommitted one, or an id under the wrong keys).
     */
    private void routeOwnKeys(PreparedStatement ps, Router hnsw, String tag, Long version)
        throws SQLException {
      long v = version == null ? latest : version;
      Long id = expected.committedTags().get(tag);
      ps.setString(1, CrashData.LAYER);
      ps.setObject(2, CrashData.visualKey(tag));
      ps.setObject(3, CrashData.textKey(tag));
      if (version != null) {
        ps.setLong(4, version);
      }
      Set<Long> exact = new TreeSet<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          exact.add(rs.getLong(1));
        }
      }
      RouteQuery q =
          RouteQuery.of(CrashData.LAYER, CrashData.visualKey(tag), CrashData.textKey(tag));
      Set<Long> approx = new TreeSet<>();
      for (RoutedEdit r : hnsw.route(version == null ? q : q.atVersion(version))) {
        approx.add(r.editId());
      }
      Set<Long> want = id != null && expected.activeAt(v).contains(id) ? Set.of(id) : Set.of();
      for (Set<Long> got : List.of(exact, approx)) {
        if (!got.equals(want)) {
          String mode = got == exact ? "ROUTE (exact scan)" : "HNSW router";
          String what =
              !got.containsAll(want)
                  ? "ACTIVE EDIT NOT ROUTED: "
                  : id == null
                      ? "ROUTED AN UNCOMMITTED EDIT'S KEYS: "
                      : want.isEmpty()
                          ? "ROUTED AN EDIT NOT ACTIVE THERE (rolled back, or later): "
                          : "ROUTED ANOTHER EDIT WITH THESE KEYS: ";
          fail(
              what
                  + mode
                  + " at version "
                  + v
                  + " with the keys of "
                  + tag
                  + " (edit "
                  + id
                  + ") returned "
                  + got
                  + ", expected "
                  + want);
        }
      }
    }
  }
}
