package io.editdb.bench.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The oracle: how a child's lines and the store's latest version settle into one history. */
class ExpectedHistoryTest {
  /** Versions 1 (layer), 2 (insert a, b), 3 (roll back a); version 4 (restore a) in flight. */
  private static ExpectedHistory history() {
    ExpectedHistory h = new ExpectedHistory();
    for (String line :
        List.of(
            "READY 0",
            "PENDING 1 L",
            "COMMITTED 1",
            "TRY a",
            "TRY b",
            "PENDING 2 I:a I:b",
            "COMMITTED 2 a=1 b=2",
            "PENDING 3 R:1",
            "COMMITTED 3",
            "TRY c",
            "ABORTED",
            "TRY d",
            "PENDING 4 S:1 I:d")) {
      h.accept(line, "test");
    }
    assertEquals(List.of(), h.takeProblems());
    return h;
  }

  private static String only(List<String> problems) {
    assertEquals(1, problems.size(), problems::toString);
    return problems.get(0);
  }

  @Test
  void activeSetsAndHistoryRowsFollowTheOperations() {
    ExpectedHistory h = history();
    assertEquals(3, h.latest());
    assertTrue(h.inDoubt());
    assertEquals(Set.of(), h.activeAt(1));
    assertEquals(Set.of(1L, 2L), h.activeAt(2));
    assertEquals(Set.of(2L), h.activeAt(3));
    assertEquals(List.of("INSERT:1", "INSERT:2"), h.version(2).historyRows());
    assertEquals(3L, h.retiredVersion(1));
    assertEquals(List.of("c", "d"), h.ghosts()); // c aborted, d in doubt
  }

  @Test
  void aVersionInFlightThatMadeItIsAdoptedWhole() {
    ExpectedHistory h = history();
    h.settle(4, Map.of("d", 3L), "check");
    assertEquals(List.of(), h.takeProblems());
    assertEquals(4, h.latest());
    assertEquals(Set.of(1L, 2L, 3L), h.activeAt(4));
    assertEquals(1, h.adoptedInFlight());
    assertFalse(h.ghosts().contains("d"));
  }

  @Test
  void aVersionInFlightThatDidNotMakeItIsDropped() {
    ExpectedHistory h = history();
    h.settle(3, Map.of(), "check");
    assertEquals(List.of(), h.takeProblems());
    assertEquals(3, h.latest());
    assertEquals(1, h.droppedInFlight());
    assertTrue(h.ghosts().containsAll(List.of("c", "d")));
  }

  @Test
  void aVersionWithoutAnAnnouncedInsertIsPartial() {
    ExpectedHistory h = history();
    h.settle(4, Map.of(), "check");
    assertTrue(only(h.takeProblems()).contains("PARTIAL VERSION 4"));
    assertTrue(h.diverged());
  }

  @Test
  void fewerVersionsThanCommittedIsALostCommit() {
    ExpectedHistory h = history();
    h.settle(2, Map.of(), "check");
    assertTrue(only(h.takeProblems()).contains("LOST COMMIT"));
    h.accept("PENDING 9 L", "later"); // ignored: the store has already diverged
    assertEquals(List.of(), h.takeProblems());
  }

  @Test
  void moreVersionsThanCommittedOrAnnouncedIsAPhantom() {
    ExpectedHistory h = history();
    h.settle(5, Map.of(), "check");
    assertTrue(only(h.takeProblems()).contains("PHANTOM VERSION"));
    ExpectedHistory settled = history();
    settled.settle(3, Map.of(), "check");
    settled.settle(4, Map.of(), "check"); // nothing pending any more
    assertTrue(only(settled.takeProblems()).contains("PHANTOM VERSION"));
  }

  @Test
  void aChildLineThatBreaksTheProtocolIsReported() {
    ExpectedHistory h = history();
    h.accept("COMMITTED 7", "child");
    assertTrue(only(h.takeProblems()).contains("COMMITTED 7 without a matching PENDING"));
    h.accept("ERROR java.lang.IllegalStateException: boom", "child");
    assertTrue(only(h.takeProblems()).contains("child failed"));
  }

  @Test
  void rollingBackToAVersionMustRestoreItsActiveSet() {
    ExpectedHistory h = history();
    h.accept("COMMITTED 4 d=3", "child");
    h.accept("PENDING 5 T:2 R:3", "child"); // version 2 had {1, 2}; this leaves {1, 2}: fine
    h.accept("COMMITTED 5", "child");
    assertEquals(List.of(), h.takeProblems());
    h.accept("PENDING 6 T:3 R:2", "child"); // version 3 had {2}; this leaves {1}
    h.accept("COMMITTED 6", "child");
    assertTrue(only(h.takeProblems()).contains("rolls back to version 3"));
  }
}
