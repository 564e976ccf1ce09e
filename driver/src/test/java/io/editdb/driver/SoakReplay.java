package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Replays {@code edit_history} in seq order (INSERT makes an edit active, ROLLBACK retires it,
 * RESTORE reactivates it) and holds the store to it: each transition must be legal, the versions
 * must follow one another without gaps, each version's counters must count its rows, and after
 * every version the replayed active set must equal {@code EDITS_AT(v)}.
 */
final class SoakReplay {
  /** The replayed state after the last version: edit id to active. */
  final Map<Long, Boolean> finalState = new TreeMap<>();

  /** Replayed active sets of the versions asked for (for routing checks at those versions). */
  final Map<Long, Set<Long>> activeAt = new TreeMap<>();

  long latest;
  long rows;

  /** Replays the store's history; {@code keep} names the versions whose active sets to keep. */
  static SoakReplay of(Connection c, Set<Long> keep) throws SQLException {
    SoakReplay r = new SoakReplay();
    Map<Long, long[]> counters = r.versionCounters(c);
    long[] tally = new long[4]; // added, retired, restored, layers of the current version
    try (Statement st = c.createStatement();
        PreparedStatement editsAt = c.prepareStatement("SELECT id FROM EDITS_AT(?) ORDER BY id")) {
      st.setFetchSize(1000);
      try (ResultSet rs =
          st.executeQuery("SELECT seq, version, edit_id, action FROM edit_history ORDER BY seq")) {
        while (rs.next()) {
          long seq = rs.getLong(1);
          long version = rs.getLong(2);
          assertEquals(r.rows + 1, seq, "history seq is dense");
          if (version != r.latest) {
            assertEquals(r.latest + 1, version, () -> "history jumps from version " + r.latest);
            if (r.latest > 0) {
              r.endOfVersion(editsAt, keep, counters, tally);
            }
            r.latest = version;
            tally = new long[4];
          }
          r.apply(seq, rs.getLong(3), rs.getString(4), tally);
          r.rows++;
        }
      }
      if (r.latest > 0) {
        r.endOfVersion(editsAt, keep, counters, tally);
      }
    }
    assertEquals(counters.size(), r.latest, "versions without history rows");
    return r;
  }

  private void apply(long seq, long editId, String action, long[] tally) {
    Boolean now = finalState.get(editId);
    String where = "history seq " + seq + ": " + action + " of edit " + editId;
    switch (action) {
      case "CREATE_LAYER" -> tally[3]++;
      case "INSERT" -> {
        assertEquals(null, now, () -> where + " inserted twice");
        finalState.put(editId, true);
        tally[0]++;
      }
      case "ROLLBACK" -> {
        assertEquals(Boolean.TRUE, now, () -> where + " rolled back while not active");
        finalState.put(editId, false);
        tally[1]++;
      }
      case "RESTORE" -> {
        assertEquals(Boolean.FALSE, now, () -> where + " restored while not rolled back");
        finalState.put(editId, true);
        tally[2]++;
      }
      default -> throw new AssertionError(where + ": unknown action");
    }
  }

  private void endOfVersion(
      PreparedStatement editsAt, Set<Long> keep, Map<Long, long[]> counters, long[] tally)
      throws SQLException {
    long v = latest;
    assertEquals(
        List.of(tally[0], tally[1], tally[2], tally[3]),
        boxed(counters.get(v)),
        () -> "counters (added, retired, restored, layers) of version " + v);
    List<Long> replayed = active();
    editsAt.setLong(1, v);
    List<Long> stored = new ArrayList<>();
    try (ResultSet rs = editsAt.executeQuery()) {
      while (rs.next()) {
        stored.add(rs.getLong(1));
      }
    }
    assertEquals(replayed, stored, () -> "EDITS_AT(" + v + ") against the replayed history");
    if (keep.contains(v)) {
      activeAt.put(v, new TreeSet<>(replayed));
    }
  }

  /** The ids active in the replayed state, ascending. */
  List<Long> active() {
    List<Long> out = new ArrayList<>();
    finalState.forEach(
        (id, on) -> {
          if (on) {
            out.add(id);
          }
        });
    return out;
  }

  private Map<Long, long[]> versionCounters(Connection c) throws SQLException {
    Map<Long, long[]> out = new HashMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT version, edits_added, edits_retired, edits_restored, layers_created"
                    + " FROM versions")) {
      while (rs.next()) {
        out.put(
            rs.getLong(1), new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)});
      }
    }
    return out;
  }

  private static List<Long> boxed(long[] a) {
    List<Long> out = new ArrayList<>();
    if (a != null) {
      for (long x : a) {
        out.add(x);
      }
    }
    return out;
  }
}
