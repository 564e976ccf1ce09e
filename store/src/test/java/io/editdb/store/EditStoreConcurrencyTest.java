package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
  private final long seed = Fixtures.seed();

  /**
   * A reader that takes the latest version and reads the index at it must see exactly that
   * version: not the one before (the version was announced before the index had applied it),
   * nor the one after (the index moved on between choosing the filter and searching).
   */
  @Test
  void theIndexAtTheLatestVersionIsExactlyThatVersion() throws Exception {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      Layer layer = s.createLayer(Fixtures.layer("l1").build(), "admin");
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      long end = System.nanoTime() + 3_000_000_000L;
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
                Random r = new Random(seed + 1);
                try {
                  while (writer.isAlive() && failures.isEmpty()) {
                    long v = s.latestVersion();
                    Set<Long> truth = new HashSet<>(s.activeEditIds("l1", v));
                    int counted = s.activeCount(layer, v);
                    Set<Long> found = new HashSet<>();
                    if (!truth.isEmpty()) {
                      for (KeyHit h :
                          s.searchKeys(
                              layer,
                              Fixtures.unit(r, Fixtures.VIS),
                              null,
                              Layer.MAX_CANDIDATES,
                              v,
                              SearchMode.EXACT)) {
                        found.add(h.editId());
                      }
                    }
                    String at = "version " + v + " (seed " + seed + ")";
                    assertEquals(truth.size(), counted, "active count at " + at);
                    if (truth.size() <= Layer.MAX_CANDIDATES) {
                      assertEquals(truth, found, "edits found at " + at);
                    }
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
        AssertionError e = new AssertionError("seed " + seed + ": " + failures.peek(), failures.peek());
        failures.forEach(e::addSuppressed);
        throw e;
      }
    }
  }
}
