package io.editdb.query;

import static io.editdb.query.ExpertFixtures.randomExpert;
import static io.editdb.query.ExpertFixtures.randomHidden;
import static io.editdb.query.ExpertFixtures.reference;
import static io.editdb.query.ExpertFixtures.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.editdb.query.ExpertApplier.CacheStats;
import io.editdb.query.ExpertFixtures.StubLoader;
import io.editdb.store.ExpertKind;
import io.editdb.store.ExpertWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

class ExpertApplierTest {
  /** Replay a failure with {@code -Dtests.seed=<seed>}. */
  private static final long SEED = Long.getLong("tests.seed", System.nanoTime());

  @RegisterExtension
  static final TestWatcher PRINT_SEED =
      new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext ctx, Throwable cause) {
          System.err.println(
              "ExpertApplierTest."
                  + ctx.getDisplayName()
                  + " failed; replay with -Dtests.seed="
                  + SEED);
        }
      };

  private static final double REL_TOL = 1e-4;

  private static Random random(TestInfo info) {
    return new Random(SEED ^ info.getDisplayName().hashCode());
  }

  /** A batch of {@code batch} queries, query 1 with no experts, ranks from 1 to 24. */
  private static List<List<RoutedEdit>> randomRouting(
      Random rnd, StubLoader store, int batch, int d, ExpertKind onlyKind) {
    List<List<RoutedEdit>> routed = new ArrayList<>();
    long next = 100;
    for (int q = 0; q < batch; q++) {
      List<RoutedEdit> list = new ArrayList<>();
      int n = q == 1 ? 0 : 1 + rnd.nextInt(4);
      for (int e = 0; e < n; e++) {
        long id;
        if (!store.experts.isEmpty() && rnd.nextInt(4) == 0) {
          id = store.experts.keySet().iterator().next(); // some experts shared across queries
        } else {
          ExpertKind kind = onlyKind != null ? onlyKind : ExpertKind.values()[rnd.nextInt(2)];
          id = store.add(randomExpert(rnd, next++, kind, 1 + rnd.nextInt(24), d)).editId();
        }
        list.add(new RoutedEdit(id, rnd.nextFloat()));
      }
      routed.add(list);
    }
    return routed;
  }

  private static boolean[][] randomMasks(Random rnd, int batch, int tokens) {
    boolean[][] masks = new boolean[batch][];
    for (int q = 0; q < batch; q++) {
      if (q % 3 == 2) {
        continue; // null: every position
      }
      masks[q] = new boolean[tokens];
      for (int t = 0; t < tokens; t++) {
        masks[q][t] = rnd.nextBoolean();
      }
    }
    return masks;
  }

  private void checkAgainstReference(TestInfo info, ExpertKind kind, boolean withMasks) {
    Random rnd = random(info);
    int batch = 6;
    int tokens = 5;
    int d = 64;
    StubLoader store = new StubLoader();
    List<List<RoutedEdit>> routed = randomRouting(rnd, store, batch, d, kind);
    boolean[][] masks = withMasks ? randomMasks(rnd, batch, tokens) : null;
    float[] hidden = randomHidden(rnd, batch * tokens * d);
    double[] want = reference(hidden, batch, tokens, d, routed, masks, store.experts);
    // Every layout, each gathered both ways (reused buffers on a CPU, one concatenation on a GPU).
    for (ApplierConfig.Layout layout : ApplierConfig.Layout.values()) {
      for (boolean reuse : new boolean[] {true, false}) {
        checkLayout(
            hidden,
            batch,
            tokens,
            d,
            routed,
            masks,
            want,
            store,
            layout,
            reuse,
            kind + " masks=" + withMasks);
      }
    }
  }

  private static void checkLayout(
      float[] hidden,
      int batch,
      int tokens,
      int d,
      List<List<RoutedEdit>> routed,
      boolean[][] masks,
      double[] want,
      StubLoader store,
      ApplierConfig.Layout layout,
      boolean reuse,
      String label) {
    ApplierConfig config = ApplierConfig.defaults().optLayout(layout);
    try (ExpertApplier applier = ExpertApplier.create(config, store, reuse)) {
      String what =
          label + " layout=" + layout + " reuse=" + reuse + " seed=" + SEED + " routed=" + routed;
      for (int round = 0; round < 2; round++) { // the second round reuses a dirty buffer
        float[] fused = applier.apply(hidden, batch, tokens, d, routed, masks);
        float[] loop = applier.applyLoop(hidden, batch, tokens, d, routed, masks);
        assertTrue(relativeError(fused, want, hidden) < REL_TOL, "fused vs reference, " + what);
        assertTrue(relativeError(loop, want, hidden) < REL_TOL, "loop vs reference, " + what);
        assertQueryUnchanged(hidden, fused, 1, tokens * d);
        assertQueryUnchanged(hidden, loop, 1, tokens * d);
      }
    }
  }

  @Test
  void sharedExpertsMatchReferenceInEveryLayout(TestInfo info) {
    Random rnd = random(info);
    int batch = 9;
    int tokens = 2;
    int d = 48;
    StubLoader store = new StubLoader();
    for (long id = 1; id <= 3; id++) { // a pool of three, both kinds, different ranks
      store.add(randomExpert(rnd, id, ExpertKind.values()[(int) id % 2], (int) (2 * id + 1), d));
    }
    List<List<RoutedEdit>> routed = new ArrayList<>();
    for (int q = 0; q < batch; q++) {
      List<RoutedEdit> list = new ArrayList<>();
      for (int e = 0, n = (q + 3) % 4; e < n; e++) { // 0 to 3 (query 1: none); may repeat one
        list.add(new RoutedEdit(1 + rnd.nextInt(3), rnd.nextFloat()));
      }
      routed.add(list);
    }
    boolean[][] masks = randomMasks(rnd, batch, tokens);
    float[] hidden = randomHidden(rnd, batch * tokens * d);
    double[] want = reference(hidden, batch, tokens, d, routed, masks, store.experts);
    for (ApplierConfig.Layout layout : ApplierConfig.Layout.values()) {
      for (boolean reuse : new boolean[] {true, false}) {
        checkLayout(hidden, batch, tokens, d, routed, masks, want, store, layout, reuse, "pool");
      }
    }
  }

  @Test
  void costRuleSharesExactlyWhenSharingSavesWork() {
    for (int batch : new int[] {2, 8, 32, 256}) {
      for (int tokens : new int[] {1, 16, 576}) {
        for (int w : new int[] {1, 16, 64}) {
          // Every query routed the same experts: sharing copies batch times less, same arithmetic.
          assertTrue(
              ExpertMath.preferShared(batch, tokens, w, w, ExpertMath.COPY_COST),
              batch + "/" + tokens + "/" + w);
          // No expert shared: sharing copies as much and multiplies batch times more.
          assertTrue(
              !ExpertMath.preferShared(batch, tokens, w, (long) batch * w, ExpertMath.COPY_COST));
        }
      }
    }
    // In between, more tokens favour per-query stacks: sharing multiplies every token.
    assertTrue(ExpertMath.preferShared(32, 1, 64, 256, ExpertMath.COPY_COST));
    assertTrue(!ExpertMath.preferShared(32, 576, 64, 256, ExpertMath.COPY_COST));
  }

  @Test
  void loraMatchesReference(TestInfo info) {
    checkAgainstReference(info, ExpertKind.LORA, false);
  }

  @Test
  void loraWithMasksMatchesReference(TestInfo info) {
    checkAgainstReference(info, ExpertKind.LORA, true);
  }

  @Test
  void liveEditMatchesReference(TestInfo info) {
    checkAgainstReference(info, ExpertKind.LIVEEDIT, false);
  }

  @Test
  void liveEditWithMasksMatchesReference(TestInfo info) {
    checkAgainstReference(info, ExpertKind.LIVEEDIT, true);
  }

  @Test
  void mixedKindsInOneBatchMatchReference(TestInfo info) {
    checkAgainstReference(info, null, true);
  }

  @Test
  void fusedEqualsLoopOnManyRandomBatches(TestInfo info) {
    Random rnd = random(info);
    StubLoader store = new StubLoader();
    try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), store)) {
      for (int round = 0; round < 20; round++) {
        int batch = 1 + rnd.nextInt(8);
        int tokens = 1 + rnd.nextInt(6);
        int d = 32;
        List<List<RoutedEdit>> routed = randomRouting(rnd, store, batch, d, null);
        boolean[][] masks = rnd.nextBoolean() ? randomMasks(rnd, batch, tokens) : null;
        float[] hidden = randomHidden(rnd, batch * tokens * d);
        float[] fused = applier.apply(hidden, batch, tokens, d, routed, masks);
        float[] loop = applier.applyLoop(hidden, batch, tokens, d, routed, masks);
        double[] loopD = new double[loop.length];
        for (int i = 0; i < loop.length; i++) {
          loopD[i] = loop[i];
        }
        assertTrue(
            relativeError(fused, loopD, hidden) < REL_TOL,
            "round " + round + " seed=" + SEED + " routed=" + routed);
      }
    }
  }

  @Test
  void queryWithNoExpertsAndMaskedOutPositionsAreBitwiseUnchanged(TestInfo info) {
    Random rnd = random(info);
    int d = 16;
    int tokens = 3;
    StubLoader store = new StubLoader();
    store.add(randomExpert(rnd, 1, ExpertKind.LORA, 4, d));
    float[] hidden = randomHidden(rnd, 2 * tokens * d);
    // Values that a "+ 0" would change or that show any rounding: -0.0 and subnormals.
    hidden[0] = -0.0f;
    hidden[1] = Float.MIN_VALUE;
    hidden[tokens * d] = -0.0f;
    hidden[tokens * d + 1] = -Float.MIN_VALUE;
    List<List<RoutedEdit>> routed = List.of(List.of(), List.of(new RoutedEdit(1, 0.7f)));
    boolean[][] masks = {null, {false, true, false}};
    try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), store)) {
      for (float[] out :
          List.of(
              applier.apply(hidden, 2, tokens, d, routed, masks),
              applier.applyLoop(hidden, 2, tokens, d, routed, masks))) {
        assertQueryUnchanged(hidden, out, 0, tokens * d);
        for (int k = 0; k < d; k++) {
          int first = tokens * d + k;
          int last = tokens * d + 2 * d + k;
          assertEquals(Float.floatToRawIntBits(hidden[first]), Float.floatToRawIntBits(out[first]));
          assertEquals(Float.floatToRawIntBits(hidden[last]), Float.floatToRawIntBits(out[last]));
        }
      }
      // Nothing routed anywhere: a copy, no tensors, no cache traffic.
      float[] none = applier.apply(hidden, 2, tokens, d, List.of(List.of(), List.of()), null);
      assertArrayEquals(hidden, none);
      assertTrue(none != hidden);
      assertEquals(1, applier.cacheStats().misses());
    }
  }

  private static void assertQueryUnchanged(float[] hidden, float[] out, int q, int stride) {
    for (int i = q * stride; i < (q + 1) * stride; i++) {
      assertEquals(
          Float.floatToRawIntBits(hidden[i]),
          Float.floatToRawIntBits(out[i]),
          "query " + q + " index " + i + " must be untouched; seed=" + SEED);
    }
  }

  @Test
  void tensorVariantMatchesArrayVariant(TestInfo info) {
    Random rnd = random(info);
    int batch = 4;
    int tokens = 3;
    int d = 32;
    StubLoader store = new StubLoader();
    List<List<RoutedEdit>> routed = randomRouting(rnd, store, batch, d, null);
    boolean[][] masks = new boolean[batch][tokens];
    float[] flatMask = new float[batch * tokens];
    for (int q = 0; q < batch; q++) {
      for (int t = 0; t < tokens; t++) {
        masks[q][t] = rnd.nextBoolean();
        flatMask[q * tokens + t] = masks[q][t] ? 1 : 0;
      }
    }
    float[] hidden = randomHidden(rnd, batch * tokens * d);
    try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), store);
        NDManager caller =
            Engine.getEngine(ApplierConfig.ENGINE).newBaseManager(applier.device())) {
      NDArray h = caller.create(hidden, new Shape(batch, tokens, d));
      NDArray m = caller.create(flatMask, new Shape(batch, tokens));
      NDArray out = applier.apply(h, routed, m);
      assertSame(caller, out.getManager());
      assertSame(caller, h.getManager(), "hidden goes back to its manager");
      assertEquals(h.getShape(), out.getShape());
      float[] want = applier.apply(hidden, batch, tokens, d, routed, masks);
      assertArrayEquals(want, out.toFloatArray(), 1e-6f, "seed=" + SEED);
      assertArrayEquals(hidden, h.toFloatArray(), "input not modified");

      NDArray all = applier.apply(h, routed, null);
      assertArrayEquals(
          applier.apply(hidden, batch, tokens, d, routed, null), all.toFloatArray(), 1e-6f);
      NDArray none = applier.apply(h, List.of(List.of(), List.of(), List.of(), List.of()), null);
      assertArrayEquals(hidden, none.toFloatArray());

      for (float bad : new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN}) {
        h.set(new ai.djl.ndarray.index.NDIndex("3, 2, 7"), bad);
        IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class, () -> applier.apply(h, routed, null));
        assertTrue(e.getMessage().contains("finite"), bad + ": " + e.getMessage());
      }
      NDArray wrongMask = caller.ones(new Shape(batch, tokens + 1));
      assertThrows(IllegalArgumentException.class, () -> applier.apply(h, routed, wrongMask));
      NDArray flat = caller.ones(new Shape(batch, d));
      assertThrows(IllegalArgumentException.class, () -> applier.apply(flat, routed, null));
    }
  }

  @Test
  void cacheEvictsLeastRecentlyUsedByBytes(TestInfo info) {
    Random rnd = random(info);
    int d = 32;
    StubLoader store = new StubLoader();
    long each = store.add(randomExpert(rnd, 1, ExpertKind.LORA, 8, d)).f32Bytes();
    store.add(randomExpert(rnd, 2, ExpertKind.LORA, 8, d));
    store.add(randomExpert(rnd, 3, ExpertKind.LORA, 8, d));
    float[] hidden = randomHidden(rnd, d);
    try (ExpertApplier applier =
        ExpertApplier.create(ApplierConfig.cacheBytes(2 * each + each / 2), store)) {
      applyOne(applier, hidden, d, 1);
      applyOne(applier, hidden, d, 2);
      assertStats(applier, 0, 2, 0, 2 * each);
      applyOne(applier, hidden, d, 1); // 1 is now the most recently used
      assertStats(applier, 1, 2, 0, 2 * each);
      applyOne(applier, hidden, d, 3); // evicts 2, not 1
      assertStats(applier, 1, 3, 1, 2 * each);
      applyOne(applier, hidden, d, 1);
      assertStats(applier, 2, 3, 1, 2 * each);
      assertEquals(3, store.loads.get());
      applyOne(applier, hidden, d, 2); // reloaded, evicts 3
      assertStats(applier, 2, 4, 2, 2 * each);
      assertEquals(4, store.loads.get());
      assertEquals(2, applier.cacheStats().entries());
    }
  }

  @Test
  void expertLargerThanCacheIsAppliedButNotKept(TestInfo info) {
    Random rnd = random(info);
    int d = 32;
    StubLoader store = new StubLoader();
    ExpertWeights w = store.add(randomExpert(rnd, 7, ExpertKind.LIVEEDIT, 8, d));
    float[] hidden = randomHidden(rnd, d);
    List<List<RoutedEdit>> routed = List.of(List.of(new RoutedEdit(7, 1f)));
    try (ExpertApplier applier =
        ExpertApplier.create(ApplierConfig.cacheBytes(w.f32Bytes() - 1), store)) {
      float[] out = applier.apply(hidden, 1, 1, d, routed, null);
      double[] want = reference(hidden, 1, 1, d, routed, null, store.experts);
      assertTrue(relativeError(out, want, hidden) < REL_TOL);
      assertStats(applier, 0, 1, 1, 0);
      assertEquals(0, applier.cacheStats().entries());
    }
    // Just inside the limit it stays.
    try (ExpertApplier applier =
        ExpertApplier.create(ApplierConfig.cacheBytes(w.f32Bytes()), store)) {
      applier.apply(hidden, 1, 1, d, routed, null);
      applier.apply(hidden, 1, 1, d, routed, null);
      assertStats(applier, 1, 1, 0, w.f32Bytes());
    }
  }

  @Test
  void batchWiderThanCacheStillApplies(TestInfo info) {
    Random rnd = random(info);
    int d = 32;
    StubLoader store = new StubLoader();
    List<List<RoutedEdit>> routed = new ArrayList<>();
    long each = 0;
    for (int q = 0; q < 4; q++) {
      List<RoutedEdit> list = new ArrayList<>();
      for (int e = 0; e < 3; e++) {
        long id = q * 10L + e;
        each = store.add(randomExpert(rnd, id, ExpertKind.LORA, 4, d)).f32Bytes();
        list.add(new RoutedEdit(id, 0.5f));
      }
      routed.add(list);
    }
    float[] hidden = randomHidden(rnd, 4 * 2 * d);
    try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.cacheBytes(3 * each), store)) {
      float[] out = applier.apply(hidden, 4, 2, d, routed, null);
      double[] want = reference(hidden, 4, 2, d, routed, null, store.experts);
      assertTrue(relativeError(out, want, hidden) < REL_TOL, "seed=" + SEED);
      CacheStats s = applier.cacheStats();
      assertEquals(3, s.entries());
      assertEquals(9, s.evictions());
    }
  }

  @Test
  void concurrentCallsWithATinyCacheStayCorrect(TestInfo info) throws Exception {
    Random rnd = random(info);
    int d = 32;
    int tokens = 2;
    StubLoader store = new StubLoader();
    for (long id = 0; id < 12; id++) {
      store.add(randomExpert(rnd, id, id % 2 == 0 ? ExpertKind.LORA : ExpertKind.LIVEEDIT, 6, d));
    }
    long each = store.experts.get(0L).f32Bytes();
    List<float[]> inputs = new ArrayList<>();
    List<List<List<RoutedEdit>>> routings = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      inputs.add(randomHidden(rnd, 3 * tokens * d));
      List<List<RoutedEdit>> routed = new ArrayList<>();
      for (int q = 0; q < 3; q++) {
        routed.add(
            List.of(
                new RoutedEdit(rnd.nextInt(12), rnd.nextFloat()),
                new RoutedEdit(rnd.nextInt(12), rnd.nextFloat())));
      }
      routings.add(routed);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.cacheBytes(4 * each), store)) {
      List<Future<Double>> errors = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        float[] h = inputs.get(i);
        List<List<RoutedEdit>> routed = routings.get(i);
        errors.add(
            pool.submit(
                () -> {
                  float[] out = applier.apply(h, 3, tokens, d, routed, null);
                  return relativeError(
                      out, reference(h, 3, tokens, d, routed, null, store.experts), h);
                }));
      }
      for (Future<Double> f : errors) {
        assertTrue(f.get() < REL_TOL, "seed=" + SEED);
      }
      assertTrue(applier.cacheStats().bytes() <= 4 * each);
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void badInputIsRefusedAndChangesNothing(TestInfo info) {
    Random rnd = random(info);
    int d = 16;
    StubLoader store = new StubLoader();
    store.add(randomExpert(rnd, 1, ExpertKind.LORA, 4, d));
    store.add(randomExpert(rnd, 2, ExpertKind.LORA, 4, d / 2)); // another layer's width
    LongFunction<ExpertWeights> loader =
        id -> {
          if (id == 66) {
            throw new IllegalStateException("store is down");
          }
          if (id == 67) {
            return store.experts.get(1L); // wrong edit
          }
          return store.apply(id);
        };
    float[] hidden = randomHidden(rnd, 2 * d);
    List<List<RoutedEdit>> ok = List.of(List.of(new RoutedEdit(1, 1f)), List.of());
    try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), loader)) {
      applier.apply(hidden, 2, 1, d, ok, null);
      CacheStats before = applier.cacheStats();

      refused(applier, "hidden states must have", new float[2 * d - 1], 2, 1, d, ok, null);
      refused(applier, "at least 1", new float[0], 0, 1, d, List.of(), null);
      refused(applier, "at least 1", new float[0], 2, 0, d, ok, null);
      refused(applier, "one routed list per query", hidden, 2, 1, d, ok.subList(0, 1), null);
      refused(applier, "one token mask per query", hidden, 2, 1, d, ok, new boolean[1][]);
      refused(applier, "one flag per token", hidden, 2, 1, d, ok, new boolean[][] {{}, null});
      float[] nan = hidden.clone();
      nan[d + 3] = Float.NaN;
      refused(applier, "hidden[" + (d + 3) + "]", nan, 2, 1, d, ok, null);
      float[] inf = hidden.clone();
      inf[0] = Float.NEGATIVE_INFINITY;
      refused(applier, "must be finite", inf, 2, 1, d, ok, null);
      // A known expert with the wrong width, next to a good one: nothing is kept.
      refused(applier, "d_in=8, d_out=8", hidden, 2, 1, d, routing(1, 2), null);
      refused(applier, "edit_id=999 is unknown", hidden, 2, 1, d, routing(1, 999), null);
      refused(applier, "store is down", hidden, 2, 1, d, routing(66, 1), null);
      refused(applier, "asked edit_id=67", hidden, 2, 1, d, routing(67, 1), null);
      // A cached expert used at another width.
      refused(
          applier,
          "d_in=16",
          new float[d / 2],
          1,
          1,
          d / 2,
          List.of(List.of(new RoutedEdit(1, 1))),
          null);
      assertEquals(before, applier.cacheStats());

      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new RoutedEdit(1, Float.NaN));
      assertTrue(e.getMessage().contains("gate=NaN"), e.getMessage());
      List<List<RoutedEdit>> withNull = new ArrayList<>();
      withNull.add(null);
      withNull.add(List.of());
      refused(applier, "routed list of query 0", hidden, 2, 1, d, withNull, null);
    }
  }

  @Test
  void preparedRoutingMatchesReferenceCallAfterCall(TestInfo info) {
    Random rnd = random(info);
    int batch = 5;
    int tokens = 3;
    int d = 40;
    StubLoader store = new StubLoader();
    List<List<RoutedEdit>> routed = randomRouting(rnd, store, batch, d, null);
    for (ApplierConfig.Layout layout : ApplierConfig.Layout.values()) {
      ApplierConfig config = ApplierConfig.defaults().optLayout(layout);
      try (ExpertApplier applier = ExpertApplier.create(config, store);
          PreparedRouting prepared = applier.prepare(routed, d, 1);
          NDManager caller =
              Engine.getEngine(ApplierConfig.ENGINE).newBaseManager(applier.device())) {
        assertEquals(batch, prepared.batch());
        for (int step = 0; step < 3; step++) { // new hidden states each step, same routing
          boolean[][] masks = randomMasks(rnd, batch, tokens);
          float[] hidden = randomHidden(rnd, batch * tokens * d);
          double[] want = reference(hidden, batch, tokens, d, routed, masks, store.experts);
          float[] out = prepared.apply(hidden, tokens, masks);
          String what = layout + " step " + step + " seed=" + SEED;
          assertTrue(relativeError(out, want, hidden) < REL_TOL, what);
          assertQueryUnchanged(hidden, out, 1, tokens * d);
          NDArray h = caller.create(hidden, new Shape(batch, tokens, d));
          NDArray tensorOut = prepared.apply(h, null);
          assertSame(caller, tensorOut.getManager());
          float[] all = applier.apply(hidden, batch, tokens, d, routed, null);
          assertArrayEquals(all, tensorOut.toFloatArray(), 1e-5f, what);
        }
      }
    }
  }

  @Test
  void preparedRoutingKeepsItsExpertsWhenTheCacheEvictsThem(TestInfo info) {
    Random rnd = random(info);
    int d = 32;
    StubLoader store = new StubLoader();
    long each = store.add(randomExpert(rnd, 1, ExpertKind.LORA, 4, d)).f32Bytes();
    store.add(randomExpert(rnd, 2, ExpertKind.LIVEEDIT, 6, d));
    store.add(randomExpert(rnd, 3, ExpertKind.LORA, 4, d));
    List<List<RoutedEdit>> routed = routing(1, 2);
    float[] hidden = randomHidden(rnd, 2 * d);
    double[] want = reference(hidden, 2, 1, d, routed, null, store.experts);
    try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.cacheBytes(each), store);
        PreparedRouting prepared = applier.prepare(routed, d, 1)) {
      applyOne(applier, randomHidden(rnd, d), d, 3); // evicts 1 (2 never fitted)
      assertEquals(1, applier.cacheStats().entries());
      assertTrue(relativeError(prepared.apply(hidden, 1, null), want, hidden) < REL_TOL);
    }
  }

  @Test
  void preparedRoutingRefusesOtherShapesAndCallsAfterClose(TestInfo info) {
    Random rnd = random(info);
    int d = 16;
    StubLoader store = new StubLoader();
    store.add(randomExpert(rnd, 1, ExpertKind.LORA, 4, d));
    List<List<RoutedEdit>> routed = List.of(List.of(new RoutedEdit(1, 0.5f)), List.of());
    try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), store);
        NDManager caller =
            Engine.getEngine(ApplierConfig.ENGINE).newBaseManager(applier.device())) {
      CacheStats before = applier.cacheStats();
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> applier.prepare(routing(1, 999), d, 1));
      assertTrue(e.getMessage().contains("edit_id=999 is unknown"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> applier.prepare(null, d, 1));
      assertTrue(e.getMessage().contains("got null"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> applier.prepare(routed, 0, 1));
      assertTrue(e.getMessage().contains("d_in=0"), e.getMessage());
      assertEquals(before.entries(), applier.cacheStats().entries());

      PreparedRouting prepared = applier.prepare(routed, d, 1);
      float[] hidden = randomHidden(rnd, 2 * d);
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> prepared.apply(randomHidden(rnd, 3 * d), 1, null));
      assertTrue(e.getMessage().contains("hidden states must have"), e.getMessage());
      NDArray wrongBatch = caller.create(randomHidden(rnd, 3 * d), new Shape(3, 1, d));
      e = assertThrows(IllegalArgumentException.class, () -> prepared.apply(wrongBatch, null));
      assertTrue(e.getMessage().contains("got batch 3, width 16"), e.getMessage());
      NDArray wrongWidth = caller.create(randomHidden(rnd, 2 * 8), new Shape(2, 1, 8));
      e = assertThrows(IllegalArgumentException.class, () -> prepared.apply(wrongWidth, null));
      assertTrue(e.getMessage().contains("width 8"), e.getMessage());
      float[] before2 = prepared.apply(hidden, 1, null);
      prepared.close();
      IllegalStateException closed =
          assertThrows(IllegalStateException.class, () -> prepared.apply(hidden, 1, null));
      assertTrue(closed.getMessage().contains("prepare it again"), closed.getMessage());
      // The applier itself is unaffected.
      assertArrayEquals(before2, applier.apply(hidden, 2, 1, d, routed, null), 1e-6f);

      // A routing with no experts applies as a copy, and is closed like any other.
      PreparedRouting empty = applier.prepare(List.of(List.of(), List.of()), d, 1);
      assertArrayEquals(hidden, empty.apply(hidden, 1, null));
      empty.close();
      assertThrows(IllegalStateException.class, () -> empty.apply(hidden, 1, null));
    }
  }

  @Test
  void preparedRoutingFailsOnceItsApplierIsClosed(TestInfo info) {
    Random rnd = random(info);
    int d = 16;
    StubLoader store = new StubLoader();
    store.add(randomExpert(rnd, 1, ExpertKind.LIVEEDIT, 4, d));
    List<List<RoutedEdit>> routed = List.of(List.of(new RoutedEdit(1, 0.5f)));
    float[] hidden = randomHidden(rnd, d);
    ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), store);
    PreparedRouting prepared = applier.prepare(routed, d, 1);
    double[] want = reference(hidden, 1, 1, d, routed, null, store.experts);
    assertTrue(relativeError(prepared.apply(hidden, 1, null), want, hidden) < REL_TOL);
    applier.close();
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> prepared.apply(hidden, 1, null));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    prepared.close(); // closing twice is harmless
  }

  private static List<List<RoutedEdit>> routing(long first, long second) {
    return List.of(List.of(new RoutedEdit(first, 0.5f)), List.of(new RoutedEdit(second, 0.5f)));
  }

  private static void refused(
      ExpertApplier applier,
      String expected,
      float[] hidden,
      int batch,
      int tokens,
      int d,
      List<List<RoutedEdit>> routed,
      boolean[][] masks) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> applier.apply(hidden, batch, tokens, d, routed, masks));
    assertNotNull(e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    // Rule; value; fix.
    assertTrue(e.getMessage().split(";").length >= 3, e.getMessage());
  }

  private static void applyOne(ExpertApplier applier, float[] hidden, int d, long id) {
    applier.apply(hidden, 1, 1, d, List.of(List.of(new RoutedEdit(id, 1f))), null);
  }

  private static void assertStats(
      ExpertApplier applier, long hits, long misses, long evictions, long bytes) {
    CacheStats s = applier.cacheStats();
    assertEquals(hits, s.hits(), "hits " + s);
    assertEquals(misses, s.misses(), "misses " + s);
    assertEquals(evictions, s.evictions(), "evictions " + s);
    assertEquals(bytes, s.bytes(), "bytes " + s);
  }
}
