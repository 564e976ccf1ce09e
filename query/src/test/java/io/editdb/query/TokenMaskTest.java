package io.editdb.query;

import static io.editdb.query.ExpertFixtures.randomExpert;
import static io.editdb.query.ExpertFixtures.randomHidden;
import static io.editdb.query.ExpertFixtures.reference;
import static io.editdb.query.ExpertFixtures.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.editdb.query.ExpertFixtures.StubLoader;
import io.editdb.store.ExpertKind;
import io.editdb.store.ExpertWeights;
import io.editdb.store.StoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Experts restricted to a region of the sequence (an edit's {@code token_mask}, VisEdit): each
 * expert acts only on its own positions, in the fused products, the loop and a prepared routing.
 */
class TokenMaskTest {
  private static final long SEED = Long.getLong("tests.seed", 20261204L);
  private static final int D = 32;
  private static final int TOKENS = 7;

  /** Queries with 1-3 experts each, about half of them masked to a random region. */
  private static List<List<RoutedEdit>> routing(Random rnd, StubLoader store, int batch) {
    List<List<RoutedEdit>> routed = new ArrayList<>();
    long next = 1;
    for (int q = 0; q < batch; q++) {
      List<RoutedEdit> list = new ArrayList<>();
      for (int e = 0, n = 1 + rnd.nextInt(3); e < n; e++) {
        ExpertWeights w =
            randomExpert(rnd, next++, ExpertKind.values()[rnd.nextInt(2)], 1 + rnd.nextInt(6), D);
        if (rnd.nextBoolean()) {
          w = w.withTokenMask(randomRegion(rnd));
        }
        int[] here = switch (rnd.nextInt(4)) { // this query's own region, overriding the mask
              case 0 -> randomRegion(rnd);
              case 1 -> new int[0]; // attribution found nothing here: the expert acts nowhere
              default -> null;
            };
        list.add(new RoutedEdit(store.add(w).editId(), 0.2f + rnd.nextFloat(), here));
      }
      if (q == 2 && !list.isEmpty()) { // one expert shared by two queries
        list.add(routed.get(0).get(0));
      }
      routed.add(list);
    }
    return routed;
  }

  private static int[] randomRegion(Random rnd) {
    List<Integer> p = new ArrayList<>();
    for (int t = 0; t < TOKENS; t++) {
      if (rnd.nextInt(3) == 0) {
        p.add(t);
      }
    }
    if (p.isEmpty()) {
      p.add(rnd.nextInt(TOKENS));
    }
    return p.stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void maskedExpertsMatchTheDefinitionInEveryLayoutAndWhenPrepared() {
    Random rnd = new Random(SEED);
    for (int trial = 0; trial < 6; trial++) {
      StubLoader store = new StubLoader();
      int batch = 2 + rnd.nextInt(4);
      List<List<RoutedEdit>> routed = routing(rnd, store, batch);
      float[] hidden = randomHidden(rnd, batch * TOKENS * D);
      double[] want = reference(hidden, batch, TOKENS, D, routed, null, store.experts);
      for (ApplierConfig.Layout layout : ApplierConfig.Layout.values()) {
        try (ExpertApplier applier =
            ExpertApplier.create(ApplierConfig.defaults().optLayout(layout), store)) {
          String what = "trial " + trial + " layout " + layout + " seed " + SEED;
          float[] fused = applier.apply(hidden, batch, TOKENS, D, routed, null);
          float[] loop = applier.applyLoop(hidden, batch, TOKENS, D, routed, null);
          assertTrue(relativeError(fused, want, hidden) < 1e-4, "fused, " + what);
          assertTrue(relativeError(loop, want, hidden) < 1e-4, "loop, " + what);
          try (PreparedRouting p = applier.prepare(routed, D, TOKENS)) {
            assertTrue(
                relativeError(p.apply(hidden, TOKENS, null), want, hidden) < 1e-4,
                "prepared, " + what);
          }
          assertUncoveredUnchanged(hidden, fused, routed, store);
          assertUncoveredUnchanged(hidden, loop, routed, store);
        }
      }
    }
  }

  /** Every position no routed expert's mask names comes back bit for bit. */
  private static void assertUncoveredUnchanged(
      float[] hidden, float[] out, List<List<RoutedEdit>> routed, StubLoader store) {
    for (int q = 0; q < routed.size(); q++) {
      for (int t = 0; t < TOKENS; t++) {
        boolean covered = false;
        for (RoutedEdit r : routed.get(q)) {
          int[] m =
              r.positions() != null ? r.positions() : store.experts.get(r.editId()).tokenMask();
          covered |= m == null || java.util.Arrays.binarySearch(m, t) >= 0;
        }
        int at = (q * TOKENS + t) * D;
        for (int k = 0; k < D && !covered; k++) {
          assertEquals(
              Float.floatToRawIntBits(hidden[at + k]),
              Float.floatToRawIntBits(out[at + k]),
              "query " + q + " token " + t + " is covered by no expert but changed");
        }
      }
    }
  }

  @Test
  void aMaskOfEveryPositionEqualsTheUnmaskedExpertBitForBit() {
    Random rnd = new Random(SEED + 1);
    int[] all = new int[TOKENS];
    for (int t = 0; t < TOKENS; t++) {
      all[t] = t;
    }
    for (ExpertKind kind : ExpertKind.values()) {
      ExpertWeights w = randomExpert(rnd, 1, kind, 4, D);
      StubLoader plain = new StubLoader();
      plain.add(w);
      StubLoader masked = new StubLoader();
      masked.add(w.withTokenMask(all));
      List<List<RoutedEdit>> routed =
          List.of(List.of(new RoutedEdit(1, 0.7f)), List.of(new RoutedEdit(1, 1f)));
      float[] hidden = randomHidden(rnd, 2 * TOKENS * D);
      try (ExpertApplier a = ExpertApplier.create(ApplierConfig.defaults(), plain);
          ExpertApplier b = ExpertApplier.create(ApplierConfig.defaults(), masked)) {
        float[] want = a.apply(hidden, 2, TOKENS, D, routed, null);
        assertArrayEquals(want, b.apply(hidden, 2, TOKENS, D, routed, null), kind + " fused");
        assertArrayEquals(
            a.applyLoop(hidden, 2, TOKENS, D, routed, null),
            b.applyLoop(hidden, 2, TOKENS, D, routed, null),
            kind + " loop");
        assertFalse(java.util.Arrays.equals(want, hidden), "the expert must change something");
      }
    }
  }

  @Test
  void aQueryMaskOfNoPositionLeavesTheBaseBitForBit() {
    Random rnd = new Random(SEED + 2);
    StubLoader store = new StubLoader();
    List<List<RoutedEdit>> routed = routing(rnd, store, 3);
    float[] hidden = randomHidden(rnd, 3 * TOKENS * D);
    boolean[][] none = new boolean[3][TOKENS];
    try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), store);
        NDManager m = NDManager.newBaseManager("PyTorch")) {
      assertArrayEquals(hidden, applier.apply(hidden, 3, TOKENS, D, routed, none));
      NDArray h = m.create(hidden, new Shape(3, TOKENS, D));
      NDArray out = applier.apply(h, routed, m.zeros(new Shape(3, TOKENS)));
      assertArrayEquals(hidden, out.toFloatArray());
    }
  }

  @Test
  void badMasksAreRefusedWithTheRuleAndChangeNothing() {
    Random rnd = new Random(SEED + 3);
    ExpertWeights w = randomExpert(rnd, 5, ExpertKind.LIVEEDIT, 2, D);
    StoreException empty = assertThrows(StoreException.class, () -> w.withTokenMask(new int[0]));
    assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
    StoreException negative =
        assertThrows(StoreException.class, () -> w.withTokenMask(new int[] {3, -1}));
    assertTrue(negative.getMessage().contains("-1"), negative.getMessage());
    StoreException twice =
        assertThrows(StoreException.class, () -> w.withTokenMask(new int[] {2, 4, 2}));
    assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
    assertArrayEquals(new int[] {1, 3, 6}, w.withTokenMask(new int[] {6, 1, 3}).tokenMask());

    IllegalArgumentException routedTwice =
        assertThrows(IllegalArgumentException.class, () -> new RoutedEdit(5, 1f, new int[] {3, 3}));
    assertTrue(routedTwice.getMessage().contains("twice"), routedTwice.getMessage());

    // A mask made for longer sequences: refused when applied, the input untouched.
    StubLoader store = new StubLoader();
    store.add(w.withTokenMask(new int[] {1, TOKENS}));
    List<List<RoutedEdit>> routed = List.of(List.of(new RoutedEdit(5, 1f)));
    float[] hidden = randomHidden(rnd, TOKENS * D);
    float[] copy = hidden.clone();
    try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), store)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> applier.apply(hidden, 1, TOKENS, D, routed, null));
      assertTrue(
          e.getMessage().contains("edit 5") && e.getMessage().contains(TOKENS + " positions"),
          e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> applier.prepare(routed, D, TOKENS));
      assertArrayEquals(copy, hidden);
      // prepared for 8 positions, called with 1 (a decode step): refused
      float[] longer = randomHidden(rnd, (TOKENS + 1) * D);
      try (PreparedRouting p = applier.prepare(routed, D, TOKENS + 1)) {
        p.apply(longer, TOKENS + 1, null);
        IllegalArgumentException step =
            assertThrows(
                IllegalArgumentException.class, () -> p.apply(randomHidden(rnd, D), 1, null));
        assertTrue(step.getMessage().contains("prepared for " + (TOKENS + 1)), step.getMessage());
      }
    }
  }
}
