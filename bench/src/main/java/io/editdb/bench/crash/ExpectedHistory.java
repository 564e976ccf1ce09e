package io.editdb.bench.crash;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one store must contain, built only from what its children printed (see {@link CrashChild}):
 * every committed version with its operations, the active set after each, and the tags that were
 * tried but never committed.
 *
 * <p>At most one version is in doubt at a time: the one announced by PENDING whose COMMITTED line
 * never came because the child died. The next look at the store settles it ({@link #settle}):
 * present (complete, as announced) or absent are both correct; anything else is a finding.
 */
final class ExpectedHistory {
  /** One committed version: its operations in order and the ids of its inserts by tag. */
  record Version(long number, List<String> ops, Map<String, Long> ids) {
    int count(char kind) {
      return (int) ops.stream().filter(o -> o.charAt(0) == kind).count();
    }

    /** The version's edit_history rows as "ACTION:edit_id", sorted. */
    List<String> historyRows() {
      List<String> rows = new ArrayList<>();
      for (String op : ops) {
        switch (op.charAt(0)) {
          case 'L' -> rows.add("CREATE_LAYER:null");
          case 'I' -> rows.add("INSERT:" + ids.get(op.substring(2)));
          case 'R' -> rows.add("ROLLBACK:" + op.substring(2));
          case 'S' -> rows.add("RESTORE:" + op.substring(2));
          default -> {} // T: a marker, its effects are the R and S that follow
        }
      }
      Collections.sort(rows);
      return rows;
    }
  }

  private final List<Version> versions = new ArrayList<>();
  private final List<Set<Long>> activeAfter = new ArrayList<>(List.of(Set.of()));
  private final Map<String, Long> idsByTag = new LinkedHashMap<>();
  private final Map<Long, String> tagsById = new HashMap<>();
  private final Map<Long, Long> insertedAt = new HashMap<>();
  private final Set<String> tried = new LinkedHashSet<>();
  private final List<String> problems = new ArrayList<>();
  private long pendingNumber;
  private List<String> pendingOps;
  private int adoptedInFlight;
  private int droppedInFlight;
  // Set once the store lost, added or split a version: what children print after that builds
  // on a store that is already wrong, and would only bury the first finding in echoes.
  private boolean diverged;

  /** Feeds one line a child printed; protocol violations become problems. */
  void accept(String line, String who) {
    if (diverged) {
      return;
    }
    String[] w = line.trim().split(" ");
    switch (w[0]) {
      case "TRY" -> tried.add(w[1]);
      case "PENDING" -> {
        if (pendingOps != null) {
          problems.add(
              who + ": PENDING " + w[1] + " while version " + pendingNumber + " is still pending");
        }
        pendingNumber = Long.parseLong(w[1]);
        pendingOps = List.of(w).subList(2, w.length);
        if (pendingNumber != latest() + 1) {
          problems.add(
              who
                  + ": child announced version "
                  + pendingNumber
                  + " but the last"
                  + " committed one is "
                  + latest());
        }
      }
      case "COMMITTED" -> {
        long v = Long.parseLong(w[1]);
        if (pendingOps == null || v != pendingNumber) {
          problems.add(
              who
                  + ": COMMITTED "
                  + v
                  + " without a matching PENDING (pending "
                  + pendingNumber
                  + ")");
          return;
        }
        Map<String, Long> ids = new LinkedHashMap<>();
        for (int i = 2; i < w.length; i++) {
          String[] kv = w[i].split("=");
          ids.put(kv[0], Long.parseLong(kv[1]));
        }
        adopt(ids, who);
      }
      case "READY" -> {
        Map<String, Long> ids = new HashMap<>();
        for (int i = 2; i < w.length; i++) {
          String[] kv = w[i].split("=");
          ids.put(kv[0], Long.parseLong(kv[1]));
        }
        settle(Long.parseLong(w[1]), ids, who + " on open");
      }
      case "ABORTED", "REOPEN" -> {}
      case "ERROR" -> problems.add(who + ": child failed: " + line);
      default -> {} // not the protocol (a library printing to stdout)
    }
  }

  /**
   * The store says its latest version is {@code latest}; {@code idsByTag} maps the tags of the
   * edits created at that version to their ids. Settles the version in doubt, if any.
   */
  void settle(long latest, Map<String, Long> idsOfLatest, String who) {
    if (diverged) {
      return;
    }
    long last = latest();
    if (latest == last) {
      if (pendingOps != null) {
        droppedInFlight++;
      }
      pendingOps = null;
    } else if (latest == last + 1 && pendingOps != null && pendingNumber == latest) {
      adoptedInFlight++;
      Map<String, Long> ids = new LinkedHashMap<>();
      for (String op : pendingOps) {
        if (op.startsWith("I:")) {
          Long id = idsOfLatest.get(op.substring(2));
          if (id == null) {
            problems.add(
                who
                    + ": PARTIAL VERSION "
                    + latest
                    + ": it exists but lacks the insert"
                    + " of "
                    + op.substring(2)
                    + " announced for it ("
                    + pendingOps
                    + ")");
            pendingOps = null;
            diverged = true;
            return;
          }
          ids.put(op.substring(2), id);
        }
      }
      adopt(ids, who);
    } else if (latest < last) {
      problems.add(
          who
              + ": LOST COMMIT: the child saw commit() return for versions up to "
              + last
              + " but the store's latest version is "
              + latest);
      pendingOps = null;
      diverged = true;
    } else {
      problems.add(
          who
              + ": PHANTOM VERSION: the store's latest version is "
              + latest
              + " but the child committed up to "
              + last
              + (pendingOps == null
                  ? " with none pending"
                  : " and announced only " + pendingNumber));
      pendingOps = null;
      diverged = true;
    }
  }

  private void adopt(Map<String, Long> ids, String who) {
    Set<Long> active = new TreeSet<>(activeAfter.get(activeAfter.size() - 1));
    for (String op : pendingOps) {
      char kind = op.charAt(0);
      String arg = op.length() > 2 ? op.substring(2) : "";
      switch (kind) {
        case 'I' -> {
          Long id = ids.get(arg);
          if (id == null || tagsById.containsKey(id)) {
            problems.add(
                who
                    + ": insert "
                    + arg
                    + " of version "
                    + pendingNumber
                    + " has id "
                    + id
                    + ", missing or already used");
            continue;
          }
          idsByTag.put(arg, id);
          tagsById.put(id, arg);
          insertedAt.put(id, pendingNumber);
          active.add(id);
        }
        case 'R' -> {
          if (!active.remove(Long.parseLong(arg))) {
            problems.add(
                who
                    + ": version "
                    + pendingNumber
                    + " rolls back "
                    + arg
                    + ", which is not active");
          }
        }
        case 'S' -> {
          long id = Long.parseLong(arg);
          if (!tagsById.containsKey(id) || !active.add(id)) {
            problems.add(
                who
                    + ": version "
                    + pendingNumber
                    + " restores "
                    + arg
                    + ", which is not a rolled-back edit");
          }
        }
        default -> {} // L, T
      }
    }
    Version v = new Version(pendingNumber, List.copyOf(pendingOps), Map.copyOf(ids));
    versions.add(v);
    activeAfter.add(Collections.unmodifiableSet(active));
    for (String op : pendingOps) {
      if (op.startsWith("T:") && !active.equals(activeAt(Long.parseLong(op.substring(2))))) {
        problems.add(
            who
                + ": version "
                + v.number()
                + " rolls back to version "
                + op.substring(2)
                + " but its active set "
                + active
                + " is not that version's "
                + activeAt(Long.parseLong(op.substring(2))));
      }
    }
    pendingOps = null;
  }

  /** The last committed version (0: none). */
  long latest() {
    return versions.size();
  }

  Version version(long v) {
    return versions.get((int) v - 1);
  }

  Set<Long> activeAt(long v) {
    return activeAfter.get((int) v);
  }

  /** True once the store was found to have lost, invented or split a version. */
  boolean diverged() {
    return diverged;
  }

  boolean inDoubt() {
    return pendingOps != null;
  }

  Map<String, Long> committedTags() {
    return Collections.unmodifiableMap(idsByTag);
  }

  long insertedAt(long id) {
    return insertedAt.get(id);
  }

  /** The version that last rolled the edit back, or null if it is active at the latest. */
  Long retiredVersion(long id) {
    if (activeAt(latest()).contains(id)) {
      return null;
    }
    for (long v = latest(); v >= 1; v--) {
      if (version(v).ops().contains("R:" + id)) {
        return v;
      }
    }
    return null;
  }

  /** Tags tried but not (yet) in a committed version: none may exist or be routed. */
  List<String> ghosts() {
    List<String> out = new ArrayList<>();
    for (String t : tried) {
      if (!idsByTag.containsKey(t)) {
        out.add(t);
      }
    }
    return out;
  }

  /** Problems found while reading children's lines; drained by the caller. */
  List<String> takeProblems() {
    List<String> out = List.copyOf(problems);
    problems.clear();
    return out;
  }

  int adoptedInFlight() {
    return adoptedInFlight;
  }

  int droppedInFlight() {
    return droppedInFlight;
  }

  /** For messages: the last few versions. */
  String tail() {
    Map<Long, List<String>> m = new TreeMap<>();
    for (long v = Math.max(1, latest() - 2); v <= latest(); v++) {
      m.put(v, version(v).ops());
    }
    return m + (pendingOps == null ? "" : ", pending " + pendingNumber + " " + pendingOps);
  }
}
