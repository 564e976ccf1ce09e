package io.editdb.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The state that {@code edit_history} implies, replayed row by row, and its comparison with the
 * tables that hold that state: each edit's status, created and retired version and spans, each
 * version's actor and counts. The hash chain proves the history rows are the ones written; the
 * replay proves the other tables still say what those rows say, so a status, span or version row
 * changed behind the store's back is found even though no history row was touched.
 */
final class HistoryReplay {
  private static final class EditState {
    final long seqOfInsert;
    final long createdVersion;
    long lastSeq;
    boolean active = true;
    Long retiredVersion;
    final List<long[]> spans = new ArrayList<>(); // {from, to or -1}

    EditState(long seq, long version) {
      seqOfInsert = seq;
      lastSeq = seq;
      createdVersion = version;
      spans.add(new long[] {version, -1});
    }
  }

  private static final class VersionState {
    final long firstSeq;
    final String actor;
    int added;
    int retired;
    int restored;
    int layers;

    VersionState(long seq, String actor) {
      firstSeq = seq;
      this.actor = actor;
    }
  }

  private final Map<Long, EditState> edits = new HashMap<>();
  private final Map<Long, VersionState> versions = new TreeMap<>();

  /**
   * Applies one history row (already checked against the chain). Returns a problem if the row
   * cannot follow the rows before it (a rollback of an edit that is not active, ...), else null.
   */
  String apply(long seq, long version, Long editId, String action, String actor) {
    VersionState v = versions.computeIfAbsent(version, k -> new VersionState(seq, actor));
    if (!v.actor.equals(actor)) {
      return "version " + version + " has rows by " + v.actor + " and by " + actor;
    }
    if (action.equals("CREATE_LAYER")) {
      v.layers++;
      return null;
    }
    EditState e = edits.get(editId);
    if (action.equals("INSERT")) {
      if (e != null) {
        return "edit " + editId + " is inserted twice";
      }
      edits.put(editId, new EditState(seq, version));
      v.added++;
      return null;
    }
    if (e == null) {
      return action + " of edit " + editId + ", which no earlier row inserted";
    }
    e.lastSeq = seq;
    if (action.equals("ROLLBACK")) {
      if (!e.active) {
        return "ROLLBACK of edit " + editId + ", which was not active";
      }
      e.active = false;
      e.retiredVersion = version;
      e.spans.getLast()[1] = version;
      v.retired++;
    } else {
      if (e.active) {
        return "RESTORE of edit " + editId + ", which was active";
      }
      e.active = true;
      e.retiredVersion = null;
      long[] last = e.spans.getLast();
      if (last[0] == version) {
        last[1] = -1; // retired and restored in one version: the same span reopens
      } else {
        e.spans.add(new long[] {version, -1});
      }
      v.restored++;
    }
    return null;
  }

  /** Compares the replayed state with the tables; the first disagreement, or null. */
  HistoryCheck compare(Connection c, long checked) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.setFetchSize(1000);
      try (ResultSet rs =
          st.executeQuery(
              "SELECT id, status, created_version, retired_version" + " FROM edits ORDER BY id")) {
        int seen = 0;
        while (rs.next()) {
          long id = rs.getLong(1);
          EditState e = edits.get(id);
          if (e == null) {
            return bad(checked, null, "edit " + id + " has no INSERT row in the history");
          }
          seen++;
          String status = e.active ? "ACTIVE" : "ROLLED_BACK";
          long retired = rs.getLong(4);
          Long retiredVersion = rs.wasNull() ? null : retired;
          if (!status.equals(rs.getString(2))) {
            return bad(
                checked,
                e.lastSeq,
                "edit "
                    + id
                    + " has status "
                    + rs.getString(2)
                    + " but its history makes it "
                    + status);
          }
          if (e.createdVersion != rs.getLong(3)
              || !Objects.equals(e.retiredVersion, retiredVersion)) {
            return bad(
                checked,
                e.lastSeq,
                "edit "
                    + id
                    + " has created/retired version "
                    + rs.getLong(3)
                    + "/"
                    + retiredVersion
                    + " but its history says "
                    + e.createdVersion
                    + "/"
                    + e.retiredVersion);
          }
        }
        if (seen != edits.size()) {
          return bad(
              checked,
              null,
              "the history inserts " + edits.size() + " edits but the edits table holds " + seen);
        }
      }
      String spans = compareSpans(st);
      if (spans != null) {
        return bad(checked, null, spans);
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT version, actor, edits_added, edits_retired,"
                  + " edits_restored, layers_created FROM versions ORDER BY version")) {
        int seen = 0;
        while (rs.next()) {
          long version = rs.getLong(1);
          VersionState v = versions.get(version);
          if (v == null) {
            return bad(checked, null, "version " + version + " has no rows in the history");
          }
          seen++;
          if (!v.actor.equals(rs.getString(2))) {
            return bad(
                checked,
                v.firstSeq,
                "version "
                    + version
                    + " has actor "
                    + rs.getString(2)
                    + " but its history rows are by "
                    + v.actor);
          }
          if (v.added != rs.getInt(3)
              || v.retired != rs.getInt(4)
              || v.restored != rs.getInt(5)
              || v.layers != rs.getInt(6)) {
            return bad(
                checked,
                v.firstSeq,
                "version "
                    + version
                    + " counts added/retired/"
                    + "restored/layers "
                    + rs.getInt(3)
                    + "/"
                    + rs.getInt(4)
                    + "/"
                    + rs.getInt(5)
                    + "/"
                    + rs.getInt(6)
                    + " but its history has "
                    + v.added
                    + "/"
                    + v.retired
                    + "/"
                    + v.restored
                    + "/"
                    + v.layers);
          }
        }
        if (seen != versions.size()) {
          return bad(
              checked,
              null,
              "the history has "
                  + versions.size()
                  + " versions but the versions table holds "
                  + seen);
        }
      }
    }
    return null;
  }

  private String compareSpans(Statement st) throws SQLException {
    Map<Long, List<long[]>> stored = new HashMap<>();
    try (ResultSet rs =
        st.executeQuery(
            "SELECT edit_id, from_version, to_version FROM edit_spans"
                + " ORDER BY edit_id, from_version")) {
      while (rs.next()) {
        long to = rs.getLong(3);
        if (rs.wasNull()) {
          to = -1;
        }
        stored
            .computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
            .add(new long[] {rs.getLong(2), to});
      }
    }
    for (Map.Entry<Long, EditState> e : edits.entrySet()) {
      List<long[]> have = stored.getOrDefault(e.getKey(), List.of());
      List<long[]> want = e.getValue().spans;
      boolean same = have.size() == want.size();
      for (int i = 0; same && i < want.size(); i++) {
        same = have.get(i)[0] == want.get(i)[0] && have.get(i)[1] == want.get(i)[1];
      }
      if (!same) {
        return "edit "
            + e.getKey()
            + " has spans "
            + spans(have)
            + " but its history makes "
            + spans(want);
      }
    }
    for (Long id : stored.keySet()) {
      if (!edits.containsKey(id)) {
        return "edit_spans has spans of edit " + id + ", which the history never inserted";
      }
    }
    return null;
  }

  private static String spans(List<long[]> s) {
    StringBuilder b = new StringBuilder("[");
    for (long[] x : s) {
      b.append(b.length() > 1 ? ", " : "")
          .append(x[0])
          .append("..")
          .append(x[1] < 0 ? "" : Long.toString(x[1]));
    }
    return b.append(']').toString();
  }

  private static HistoryCheck bad(long checked, Long seq, String problem) {
    return new HistoryCheck(false, checked, seq, problem);
  }
}
