package io.editdb.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.store.EditRecord;
import io.editdb.store.EditStore;
import io.editdb.store.GateMode;
import io.editdb.store.Layer;
import io.editdb.store.LayerOption;
import io.editdb.store.NewEdit;
import io.editdb.store.SearchMode;
import io.editdb.store.Similarity;
import io.editdb.store.StoreConfig;
import io.editdb.store.StoreException;
import io.editdb.store.StoreSession;
import io.editdb.store.WeightDtype;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One suite for every router implementation (exact scan and HNSW): each must agree with a
 * plain-Java reference of docs/design.md section 3 on seeded random data.
 */
abstract class RouterConformanceTest {
  static final int VIS = 16;
  static final int TXT = 12;
  final long seed = Long.getLong("tests.seed", System.nanoTime());
  final Random r = new Random(seed);
  EditStore store;
  Router router;
  List<float[]> centres;

  abstract SearchMode mode();

  @BeforeEach
  void open() {
    store = EditStore.open(StoreConfig.inMemory(getClass().getSimpleName() + System.nanoTime()));
    router = new Router(store, RouterConfig.DEFAULT.withForcedMode(mode()));
    centres = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      centres.add(unit(r, VIS, null, 0));
    }
  }

  @AfterEach
  void close() {
    store.close();
  }

  static float[] unit(Random r, int n, float[] around, double noise) {
    float[] v = new float[n];
    double norm = 0;
    for (int i = 0; i < n; i++) {
      v[i] =
          (float)
              ((around == null ? 0 : around[i]) + (around == null ? 1 : noise) * r.nextGaussian());
      norm += v[i] * v[i];
    }
    for (int i = 0; i < n; i++) {
      v[i] /= (float) Math.sqrt(norm);
    }
    return v;
  }

  Layer layer(String name, GateMode gate, int visualDim) {
    return store.createLayer(builder(name, gate, visualDim).build(), "admin");
  }

  /** The suite's layer settings, for a test to change some before creating it. */
  Layer.Builder builder(String name, GateMode gate, int visualDim) {
    return Layer.builder(name, "m", "x", 4, 4, visualDim, TXT)
        .opt(LayerOption.GATE, gate)
        .opt(LayerOption.VISUAL_THRESHOLD, 0.7)
        .opt(LayerOption.MAX_CANDIDATES, 8)
        .opt(LayerOption.TOP_K, 3)
        .opt(LayerOption.MIN_GATE, 0.02)
        .opt(LayerOption.TEXT_SCALE, 5)
        .opt(LayerOption.NULL_LOGIT, 2)
        .opt(LayerOption.TEMPERATURE, 0.7);
  }

  List<Long> fill(String layer, int n, boolean visual) {
    List<Long> ids = new ArrayList<>();
    try (StoreSession s = store.openSession("u")) {
      for (int i = 0; i < n; i++) {
        float[] c = centres.get(r.nextInt(centres.size()));
        ids.add(
            s.insert(
                NewEdit.builder(layer, "q" + i, "a")
                    .visualKey(visual ? unit(r, VIS, c, 0.15) : null)
                    .textKey(unit(r, TXT, null, 0))
                    .weights(
                        new float[] {1, 2, 3, 4}, new float[] {1, 0, 0, 1}, 1, 1f, WeightDtype.F32)
                    .build()));
      }
      s.commit();
    }
    return ids;
  }

  /** The reference: docs/design.md section 3 written out over every active edit, no index. */
  List<RoutedEdit> reference(Layer l, float[] vq, float[] tq, long version, double threshold) {
    if (l.hasVisual() && vq == null) {
      return List.of();
    }
    List<double[]> passed = new ArrayList<>(); // {id, visualScore, textScore}
    for (long id : store.activeEditIds(l.name(), version)) {
      EditRecord e = store.edit(id);
      double vs =
          l.visualScale()
              * (l.hasVisual()
                  ? sim(l.visualSimilarity(), vq, e.visualKey())
                  : sim(l.textSimilarity(), tq, e.textKey()));
      if (vs >= threshold) {
        passed.add(new double[] {id, vs, l.textScale() * sim(l.textSimilarity(), tq, e.textKey())});
      }
    }
    passed.sort(Comparator.comparingDouble((double[] a) -> -a[1]));
    if (passed.size() > l.maxCandidates()) {
      passed = passed.subList(0, l.maxCandidates());
    }
    double z = 0;
    for (double[] p : passed) {
      z += l.gate() == GateMode.LIVEEDIT ? Math.exp(p[2]) : Math.exp(p[2] / l.temperature());
    }
    if (l.gate() == GateMode.SOFTMAX) {
      z += Math.exp(l.nullLogit() / l.temperature());
    }
    List<RoutedEdit> out = new ArrayList<>();
    for (double[] p : passed) {
      double g =
          l.gate() == GateMode.LIVEEDIT
              ? Math.exp(p[2]) / z / (1 + Math.exp(-p[2]))
              : Math.exp(p[2] / l.temperature()) / z;
      if (g >= l.minGate()) {
        out.add(new RoutedEdit((long) p[0], (float) p[1], (float) p[2], (float) g));
      }
    }
    out.sort(Comparator.comparingDouble((RoutedEdit e) -> -e.gate()));
    return l.topK() > 0 && out.size() > l.topK() ? out.subList(0, l.topK()) : out;
  }

  static double sim(Similarity s, float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return s == Similarity.COSINE ? dot / Math.sqrt(na * nb) : dot;
  }

  void assertSame(List<RoutedEdit> want, List<RoutedEdit> got) {
    assertEquals(
        want.stream().map(RoutedEdit::editId).toList(),
        got.stream().map(RoutedEdit::editId).toList(),
        "seed " + seed);
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.get(i).gate(), got.get(i).gate(), 1e-5, "gate, seed " + seed);
      assertEquals(want.get(i).visualScore(), got.get(i).visualScore(), 1e-5, "seed " + seed);
      assertEquals(want.get(i).textScore(), got.get(i).textScore(), 1e-4, "seed " + seed);
    }
  }

  @Test
  void agreesWithReferenceInBothGateModes() {
    for (GateMode g : GateMode.values()) {
      Layer l = layer("l_" + g, g, VIS);
      fill(l.name(), 300, true);
      int routedSomething = 0;
      for (int q = 0; q < 40; q++) {
        float[] vq = unit(r, VIS, centres.get(r.nextInt(centres.size())), 0.15);
        float[] tq = unit(r, TXT, null, 0);
        List<RoutedEdit> want = reference(l, vq, tq, store.latestVersion(), l.visualThreshold());
        assertSame(want, router.route(RouteQuery.of(l.name(), vq, tq)));
        routedSomething += want.isEmpty() ? 0 : 1;
      }
      assertTrue(routedSomething > 10, "the data exercises the gates; seed " + seed);
    }
  }

  @Test
  void perQueryThresholdAndPastVersions() {
    Layer l = layer("l", GateMode.SOFTMAX, VIS);
    List<Long> first = fill("l", 120, true);
    long v1 = store.latestVersion();
    float[] vq = unit(r, VIS, centres.get(0), 0.1);
    float[] tq = unit(r, TXT, null, 0);
    List<RoutedEdit> atV1 = router.route(RouteQuery.of("l", vq, tq));
    fill("l", 120, true);
    try (StoreSession s = store.openSession("u")) {
      s.rollbackEdits(first.subList(0, 60), "bad batch");
      s.commit();
    }
    assertSame(atV1, router.route(RouteQuery.of("l", vq, tq).atVersion(v1)));
    assertSame(
        reference(l, vq, tq, store.latestVersion(), 0.5),
        router.route(RouteQuery.of("l", vq, tq).withThreshold(0.5)));
    assertSame(
        reference(l, vq, tq, v1, 0.9),
        router.route(RouteQuery.of("l", vq, tq).atVersion(v1).withThreshold(0.9)));
  }

  @Test
  void textOnlyLayerAndTextOnlyQuery() {
    Layer txt =
        store.createLayer(
            Layer.builder("txt", "m", "x", 4, 4, 0, TXT)
                .opt(LayerOption.VISUAL_THRESHOLD, 0.3)
                .opt(LayerOption.MAX_CANDIDATES, 8)
                .opt(LayerOption.TOP_K, 0)
                .build(),
            "admin");
    fill("txt", 150, false);
    for (int q = 0; q < 20; q++) {
      float[] tq = unit(r, TXT, null, 0);
      assertSame(
          reference(txt, null, tq, store.latestVersion(), 0.3),
          router.route(RouteQuery.of("txt", null, tq)));
    }
    Layer vis = layer("vis", GateMode.LIVEEDIT, VIS);
    fill("vis", 20, true);
    assertEquals(
        List.of(),
        router.route(RouteQuery.of("vis", null, unit(r, TXT, null, 0))),
        "a query without a visual key on a visual layer is left unedited");
  }

  @Test
  void explainAccountsForEveryCandidate() {
    Layer l = layer("l", GateMode.LIVEEDIT, VIS);
    fill("l", 200, true);
    float[] vq = unit(r, VIS, centres.get(1), 0.1);
    float[] tq = unit(r, TXT, null, 0);
    List<Candidate> all = router.explain(RouteQuery.of("l", vq, tq));
    List<RoutedEdit> routed = router.route(RouteQuery.of("l", vq, tq));
    assertEquals(routed.size(), all.stream().filter(Candidate::kept).count());
    for (Candidate c : all) {
      if (!c.passedFilter()) {
        assertFalse(c.kept());
        assertTrue(
            c.visualScore() < l.visualThreshold() || c.why().contains("max_candidates"),
            c.toString());
      } else if (!c.kept()) {
        assertTrue(c.why().contains("min_gate") || c.why().contains("top_k"), c.why());
      }
    }
    assertTrue(all.stream().anyMatch(c -> !c.passedFilter()), "rejections are explained too");
  }

  /**
   * route skips the text keys of hits that cannot pass the hard filter (visual_scale times their
   * similarity below the threshold); with a visual scale other than 1 and thresholds around the
   * hits' scores it keeps exactly what explain keeps, with the same text scores and gates.
   */
  @Test
  void routeKeepsWhatExplainKeeps() {
    Layer l =
        store.createLayer(
            builder("scaled", GateMode.LIVEEDIT, VIS)
                .opt(LayerOption.VISUAL_SCALE, 1.3)
                .opt(LayerOption.VISUAL_THRESHOLD, 0.9)
                .opt(LayerOption.TOP_K, 0)
                .opt(LayerOption.MIN_GATE, 0.0)
                .build(),
            "admin");
    fill(l.name(), 300, true);
    int kept = 0;
    int beyond = 0;
    for (int q = 0; q < 40; q++) {
      float[] vq = unit(r, VIS, centres.get(r.nextInt(centres.size())), 0.15);
      float[] tq = unit(r, TXT, null, 0);
      double threshold = 0.6 + 0.0095 * q; // 0.6 to 0.97: some queries keep many, some few
      RouteQuery query = RouteQuery.of(l.name(), vq, tq).withThreshold(threshold);
      List<Candidate> all = router.explain(query);
      beyond += all.stream().filter(c -> c.why().startsWith("beyond max_candidates")).count();
      List<Candidate> explained = all.stream().filter(Candidate::kept).toList();
      List<RoutedEdit> routed = router.route(query);
      assertEquals(explained.size(), routed.size(), "seed " + seed);
      for (int i = 0; i < routed.size(); i++) {
        assertEquals(explained.get(i).editId(), routed.get(i).editId(), "seed " + seed);
        assertEquals(explained.get(i).textScore(), routed.get(i).textScore(), 0f, "seed " + seed);
        assertEquals(explained.get(i).gate(), routed.get(i).gate(), 0f, "seed " + seed);
      }
      kept += routed.size();
    }
    assertTrue(
        kept > 20, kept + " edits kept; the thresholds should let some through, seed " + seed);
    assertTrue( // route reads text keys of the first max_candidates passing hits only
        beyond > 0, "some queries should pass more hits than max_candidates, seed " + seed);
  }

  @Test
  void badQueriesAreRefused() {
    layer("l", GateMode.LIVEEDIT, VIS);
    fill("l", 5, true);
    float[] tq = unit(r, TXT, null, 0);
    float[] vq = unit(r, VIS, null, 0);
    assertKind(
        StoreException.Kind.INVALID_VALUE,
        () -> router.route(RouteQuery.of("l", new float[VIS + 1], tq)));
    assertKind(
        StoreException.Kind.INVALID_VALUE,
        () -> router.route(RouteQuery.of("l", vq, new float[TXT - 1])));
    float[] nan = vq.clone();
    nan[0] = Float.NaN;
    assertKind(StoreException.Kind.INVALID_VALUE, () -> router.route(RouteQuery.of("l", nan, tq)));
    assertKind(
        StoreException.Kind.INVALID_VALUE,
        () -> router.route(RouteQuery.of("l", new float[VIS], tq)));
    assertKind(
        StoreException.Kind.UNKNOWN_LAYER, () -> router.route(RouteQuery.of("nope", vq, tq)));
    assertKind(
        StoreException.Kind.UNKNOWN_VERSION,
        () -> router.route(RouteQuery.of("l", vq, tq).atVersion(store.latestVersion() + 1)));
    assertKind(
        StoreException.Kind.INVALID_VALUE,
        () -> router.route(RouteQuery.of("l", vq, tq).withThreshold(Double.NaN)));
  }

  static void assertKind(StoreException.Kind kind, Runnable run) {
    StoreException e = assertThrows(StoreException.class, run::run);
    assertEquals(kind, e.kind(), e.getMessage());
  }
}
