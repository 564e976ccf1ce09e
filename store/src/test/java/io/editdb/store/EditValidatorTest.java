package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad input is refused with its kind, and the store is unchanged afterwards. */
class EditValidatorTest {
  private static final long SEED = Fixtures.seed();
  private EditStore store;
  private long versionBefore;
  private long editsBefore;
  private List<Object> writerBefore;

  @BeforeEach
  void open() {
    store = EditStore.open(Fixtures.mem());
    store.createLayer(Fixtures.layer("l1").build(), "admin");
    store.createLayer(
        Fixtures.layer("dot").opt(LayerOption.VISUAL_SIMILARITY, Similarity.DOT).build(), "admin");
    store.createLayer(
        Layer.builder("txt", "m", "x", Fixtures.D, Fixtures.D, 0, Fixtures.TXT).build(), "admin");
    store.insert(Fixtures.edit(new Random(SEED), "l1", 1).build(), "u");
    versionBefore = store.latestVersion();
    editsBefore = store.activeEditIds(null, versionBefore).size();
    writerBefore = store.writerState();
  }

  @AfterEach
  void unchanged() {
    assertEquals(versionBefore, store.latestVersion());
    assertEquals(editsBefore, store.activeEditIds(null, versionBefore).size());
    assertEquals(writerBefore, store.writerState());
    assertTrue(store.verifyHistory().ok());
    store.close();
  }

  static Stream<Arguments> badEdits() {
    Random r = new Random(SEED);
    float[] nanKey = Fixtures.unit(r, Fixtures.VIS);
    nanKey[2] = Float.NaN;
    float[] infA = Fixtures.floats(r, Fixtures.D);
    infA[0] = Float.POSITIVE_INFINITY;
    Function<NewEdit.Builder, NewEdit.Builder> id = b -> b;
    return Stream.of(
        bad("visual key too short", "l1", b -> b.visualKey(Fixtures.unit(r, Fixtures.VIS - 1))),
        bad("visual key too long", "l1", b -> b.visualKey(Fixtures.unit(r, Fixtures.VIS + 1))),
        bad("text key wrong length", "l1", b -> b.textKey(Fixtures.unit(r, Fixtures.TXT + 1))),
        bad("NaN in key", "l1", b -> b.visualKey(nanKey)),
        bad("zero key", "l1", b -> b.visualKey(new float[Fixtures.VIS])),
        bad("empty text key", "l1", b -> b.textKey(new float[0])),
        bad("missing visual key", "l1", b -> b.visualKey(null)),
        bad("missing text key", "l1", b -> b.textKey(null)),
        bad("non-unit key on DOT layer", "dot", b -> b.visualKey(Fixtures.floats(r, Fixtures.VIS))),
        bad("visual key on text-only layer", "txt", id),
        bad(
            "rank above max",
            "l1",
            b ->
                b.weights(
                    Fixtures.floats(r, 5 * Fixtures.D),
                    Fixtures.floats(r, 5 * Fixtures.D),
                    5,
                    1f,
                    WeightDtype.F32)),
        bad("rank zero", "l1", b -> b.weights(new float[0], new float[0], 0, 1f, WeightDtype.F32)),
        bad(
            "A of wrong size",
            "l1",
            b ->
                b.weights(
                    Fixtures.floats(r, Fixtures.D + 1),
                    Fixtures.floats(r, Fixtures.D),
                    1,
                    1f,
                    WeightDtype.F32)),
        bad(
            "B of wrong size",
            "l1",
            b ->
                b.weights(
                    Fixtures.floats(r, Fixtures.D),
                    Fixtures.floats(r, Fixtures.D - 1),
                    1,
                    1f,
                    WeightDtype.F32)),
        bad(
            "infinite weight",
            "l1",
            b -> b.weights(infA, Fixtures.floats(r, Fixtures.D), 1, 1f, WeightDtype.F32)),
        bad(
            "weight overflowing f16",
            "l1",
            b ->
                b.weights(
                    scaled(Fixtures.floats(r, Fixtures.D), 1e6f),
                    Fixtures.floats(r, Fixtures.D),
                    1,
                    1f,
                    WeightDtype.F16)),
        bad(
            "NaN alpha",
            "l1",
            b ->
                b.weights(
                    Fixtures.floats(r, Fixtures.D),
                    Fixtures.floats(r, Fixtures.D),
                    1,
                    Float.NaN,
                    WeightDtype.F32)),
        bad(
            "mixed dtypes",
            "l1",
            b ->
                b.weightsEncoded(
                    VectorCodec.encode(Fixtures.floats(r, Fixtures.D), WeightDtype.F16),
                    VectorCodec.encode(Fixtures.floats(r, Fixtures.D), WeightDtype.F32),
                    1,
                    1f)),
        bad("garbage weight bytes", "l1", b -> b.weightsEncoded(new byte[16], new byte[16], 1, 1f)),
        bad("null prompt", "l1", b -> copy(b.build(), null)),
        bad("huge prompt", "l1", b -> copy(b.build(), "x".repeat(NewEdit.MAX_TEXT + 1))));
  }

  private static float[] scaled(float[] v, float f) {
    for (int i = 0; i < v.length; i++) {
      v[i] *= f;
    }
    return v;
  }

  private static NewEdit.Builder copy(NewEdit e, String prompt) {
    return NewEdit.builder(e.layer(), prompt, e.target())
        .visualKey(e.visualKey())
        .textKey(e.textKey())
        .weightsEncoded(e.expertA(), e.expertB(), e.rank(), e.alpha());
  }

  private static Arguments bad(
      String name, String layer, Function<NewEdit.Builder, NewEdit.Builder> change) {
    return Arguments.of(name, layer, change);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badEdits")
  void badEditIsRefusedAndChangesNothing(
      String name, String layer, Function<NewEdit.Builder, NewEdit.Builder> change) {
    Random r = new Random(SEED);
    NewEdit e = change.apply(Fixtures.edit(r, layer, 1)).build();
    StoreException ex = assertThrows(StoreException.class, () -> store.insert(e, "u"), name);
    assertEquals(StoreException.Kind.INVALID_VALUE, ex.kind(), ex.getMessage());
  }

  @Test
  void unknownLayerEditAndVersionAndWrongStates() {
    Random r = new Random(SEED);
    assertKind(
        StoreException.Kind.UNKNOWN_LAYER,
        () -> store.insert(Fixtures.edit(r, "nope", 1).build(), "u"));
    try (StoreSession s = store.openSession("u")) {
      assertKind(StoreException.Kind.UNKNOWN_EDIT, () -> s.rollbackEdit(12345, "x"));
      assertKind(StoreException.Kind.WRONG_STATE, () -> s.restoreEdit(1, "x"));
      assertKind(StoreException.Kind.UNKNOWN_VERSION, () -> s.rollbackToVersion(99, "x"));
      assertKind(StoreException.Kind.UNKNOWN_VERSION, () -> s.rollbackToVersion(-1, "x"));
      s.rollbackEdit(1, "bad");
      assertKind(StoreException.Kind.WRONG_STATE, () -> s.rollbackEdit(1, "again"));
      s.rollback();
    }
    assertKind(StoreException.Kind.UNKNOWN_VERSION, () -> store.activeEditIds(null, 99));
    assertKind(
        StoreException.Kind.DUPLICATE_LAYER,
        () -> store.createLayer(Fixtures.layer("l1").build(), "admin"));
  }

  /** Each bound of a layer, probed just inside and just outside. */
  @Test
  void layerLimits() {
    int[][] bounds = { // {lo, hi} for d_in, visual_dim, text_dim, max_rank, max_candidates
      {1, Layer.MAX_WIDTH},
      {0, Layer.MAX_KEY_DIM},
      {1, Layer.MAX_KEY_DIM},
      {1, Layer.MAX_RANK},
      {1, Layer.MAX_CANDIDATES}
    };
    for (int i = 0; i < bounds.length; i++) {
      for (int delta : new int[] {0, 1}) {
        int lo = bounds[i][0] - delta;
        int hi = bounds[i][1] + delta;
        for (int v : new int[] {lo, hi}) {
          int which = i;
          Runnable build =
              () -> {
                Layer.Builder b =
                    Layer.builder(
                        "x",
                        "m",
                        "mod",
                        which == 0 ? v : 8,
                        8,
                        which == 1 ? v : 4,
                        which == 2 ? v : 4);
                if (which == 3) {
                  b.opt(LayerOption.MAX_RANK, v);
                }
                if (which == 4) {
                  b.opt(LayerOption.MAX_CANDIDATES, v);
                }
                b.build();
              };
          if (delta == 0) {
            build.run();
          } else {
            assertKind(StoreException.Kind.INVALID_VALUE, build::run);
          }
        }
      }
    }
    assertKind(
        StoreException.Kind.INVALID_VALUE,
        () -> Fixtures.layer("x").opt(LayerOption.MIN_GATE, 1.0).build());
    Fixtures.layer("x").opt(LayerOption.MIN_GATE, 0.999).build();
    assertKind(
        StoreException.Kind.INVALID_VALUE,
        () -> Fixtures.layer("x").opt(LayerOption.TEMPERATURE, 0).build());
    assertKind(
        StoreException.Kind.INVALID_VALUE,
        () -> Fixtures.layer("x").opt(LayerOption.VISUAL_THRESHOLD, Double.NaN).build());
    assertKind(
        StoreException.Kind.INVALID_VALUE,
        () -> Fixtures.layer("x").opt(LayerOption.TOP_K, -1).build());
    assertKind(StoreException.Kind.INVALID_VALUE, () -> Fixtures.layer("1bad").build());
    Fixtures.layer("a".repeat(128)).build();
    assertKind(StoreException.Kind.INVALID_VALUE, () -> Fixtures.layer("a".repeat(129)).build());
  }

  /** Keys at the 4096 limit are indexed and found (Lucene's own default stops at 1024). */
  @Test
  void keysOf4096FloatsAreIndexed() {
    Random r = new Random(SEED);
    Layer big =
        store.createLayer(
            Layer.builder("big", "m", "x", 4, 4, Layer.MAX_KEY_DIM, 384)
                .opt(LayerOption.VISUAL_SIMILARITY, Similarity.MAX_INNER_PRODUCT)
                .build(),
            "admin");
    float[] vk = Fixtures.floats(r, Layer.MAX_KEY_DIM);
    long id =
        store.insert(
            NewEdit.builder("big", "p", "t")
                .visualKey(vk)
                .textKey(Fixtures.unit(r, 384))
                .weights(Fixtures.floats(r, 4), Fixtures.floats(r, 4), 1, 1f, WeightDtype.F32)
                .build(),
            "u");
    for (SearchMode m : SearchMode.values()) {
      List<KeyHit> hits = store.searchKeys(big, vk, null, 1, store.latestVersion(), m);
      assertEquals(id, hits.get(0).editId());
      double dot = 0;
      for (float x : vk) {
        dot += x * x;
      }
      assertEquals(dot, hits.get(0).primary(), 1e-3 * dot, "raw inner product, not a score");
    }
    // this test changes the store on purpose; re-baseline for the after-each check
    versionBefore = store.latestVersion();
    editsBefore = store.activeEditIds(null, versionBefore).size();
    writerBefore = store.writerState();
  }

  private static void assertKind(StoreException.Kind kind, Runnable r) {
    StoreException e = assertThrows(StoreException.class, r::run);
    assertEquals(kind, e.kind(), e.getMessage());
  }
}
