package io.editdb.bench.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILLs of a process writing through the driver, at random moments, and the checks of {@link
 * StoreChecker} after them (issue 6). Seeded: the seed is printed, and {@code
 * -Deditdb.crash.seed=<seed>} replays the same decisions (what was in flight at each kill still
 * depends on timing). {@code editdb bench crash} runs hundreds of kills of the same harness.
 */
class CrashSafetyTest {
  private static final long SEED = Long.getLong("editdb.crash.seed", new Random().nextLong());
  private static final int STORES = 2;
  private static final int KILLS_PER_STORE = 6;

  // A failing run keeps its stores and the children's stderr (named in the failure) to look at.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  private CrashHarness.Tally run(String name, boolean damage) throws Exception {
    System.out.println(
        "CrashSafetyTest."
            + name
            + ": seed "
            + SEED
            + " (replay: -Deditdb.crash.seed="
            + SEED
            + ")");
    Random seeds = new Random(SEED ^ name.hashCode());
    List<CrashHarness.Tally> tallies = new ArrayList<>();
    for (int s = 0; s < STORES; s++) {
      tallies.add(
          new CrashHarness(
                  dir.resolve(name + "-" + s),
                  seeds.nextLong(),
                  new CrashHarness.Options(KILLS_PER_STORE, damage),
                  System.out)
              .run());
    }
    CrashHarness.Tally t = CrashHarness.Tally.sum(tallies);
    assertEquals(List.of(), t.failures(), "seed " + SEED);
    assertEquals(STORES * KILLS_PER_STORE, t.kills(), "every kill ran and was a SIGKILL");
    // The last kill of each store is always followed by a check that saw the versions.
    assertTrue(t.checks() >= STORES && t.versionsChecked() >= STORES, t.toString());
    return t;
  }

  @Test
  void killedWritersLoseNoCommitAndLeaveNoPartialOrDeadEdit() throws Exception {
    CrashHarness.Tally t = run("plain", false);
    assertTrue(t.versions() > 0, "the children committed something: " + t);
  }

  @Test
  void aDamagedOrDeletedIndexIsRebuiltFromH2AndStillAgrees() throws Exception {
    CrashHarness.Tally t = run("damaged", true);
    assertTrue(t.damages() > 0, "the index was damaged at least once: " + t);
  }
}
