package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * After merges settle, segment sizes grow by at least the fanout, so n spans sit in at most 1 +
 * log(n) / log(fanout + 1) segments, however they were committed; searches see every span.
 */
class LeveledMergePolicyTest {
  private final long seed = Fixtures.seed();
  private final Random r = new Random(seed);

  @Test
  void manySmallCommitsEndInFewSegments() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("l").build(), "admin");
      int n = 0;
      for (int i = 0; i < 300; i++, n++) {
        s.insert(Fixtures.edit(r, "l", 1).build(), "u");
      }
      for (int c = 0; c < 3; c++) {
        try (StoreSession ss = s.openSession("u")) {
          for (int i = 0; i < 500; i++, n++) {
            ss.insert(Fixtures.edit(r, "l", 1).build());
          }
          ss.commit();
        }
      }
      int segments = s.awaitIndexMerges();
      int bound = 1 + (int) Math.floor(Math.log(n) / Math.log(KeyIndex.MERGE_FANOUT + 1));
      assertTrue(
          segments <= bound,
          segments + " segments for " + n + " spans; at most " + bound + " expected, seed " + seed);
      Layer l = s.layer("l");
      assertEquals(n, s.activeCount(l, s.latestVersion()));
      for (SearchMode m : SearchMode.values()) {
        assertEquals(
            Math.min(n, Layer.MAX_CANDIDATES),
            s.searchKeys(
                    l,
                    Fixtures.unit(r, Fixtures.VIS),
                    null,
                    Layer.MAX_CANDIDATES,
                    s.latestVersion(),
                    m)
                .size(),
            "mode " + m + ", seed " + seed);
      }
    }
  }

  /**
   * With a segment limit of 1,000 spans every commit of 1,000 is full as soon as it is flushed: ten
   * commits stay ten segments (without the limit they merge into at most four), and both search
   * modes still see every span.
   */
  @Test
  void fullSegmentsStopGrowing() {
    try (EditStore s = EditStore.open(Fixtures.mem().optSegmentMaxSpans(1_000))) {
      s.createLayer(Fixtures.layer("l").build(), "admin");
      List<float[]> keys = new ArrayList<>();
      for (int c = 0; c < 10; c++) {
        try (StoreSession ss = s.openSession("u")) {
          for (int i = 0; i < 1_000; i++) {
            NewEdit e = Fixtures.edit(r, "l", 1).build();
            ss.insert(e);
            keys.add(e.visualKey());
          }
          ss.commit();
        }
      }
      assertEquals(10, s.awaitIndexMerges(), "seed " + seed);
      Layer l = s.layer("l");
      for (int q = 0; q < 20; q++) { // a stored key finds itself, whichever segment holds it
        float[] key = keys.get(r.nextInt(keys.size()));
        for (SearchMode m : SearchMode.values()) {
          List<KeyHit> hits = s.searchKeys(l, key, null, 16, s.latestVersion(), m);
          assertEquals(16, hits.size(), "mode " + m + ", seed " + seed);
          assertEquals(1.0, hits.get(0).primary(), 1e-5, "mode " + m + ", seed " + seed);
        }
      }
    }
  }

  @Test
  void limits() {
    assertThrows(IllegalArgumentException.class, () -> new LeveledMergePolicy(1, 1_000));
    assertThrows(IllegalArgumentException.class, () -> new LeveledMergePolicy(2, 0));
    assertThrows(StoreException.class, () -> Fixtures.mem().optSegmentMaxSpans(999));
    assertEquals(
        "LeveledMergePolicy{fanout=2, maxSegmentDocs=1000}",
        new LeveledMergePolicy(2, 1_000).toString());
  }
}
