package io.editdb.bench.lifelong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.cli.EditCase;
import io.editdb.cli.VisualKeys;
import io.editdb.query.RouteQuery;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.query.TextEncoder;
import io.editdb.store.EditStore;
import io.editdb.store.GateMode;
import io.editdb.store.Layer;
import io.editdb.store.LayerOption;
import io.editdb.store.NewEdit;
import io.editdb.store.StoreConfig;
import io.editdb.store.WeightDtype;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricTest {
  private static RoutedEdit e(long id, double gate) {
    return new RoutedEdit(id, 1f, 1f, (float) gate);
  }

  @Test
  void reliabilityNeedsTheOwnEditOnTopWithHalfTheGate() {
    assertTrue(Metric.REL.success(List.of(e(7, 0.5), e(8, 0.3)), 7));
    assertFalse(Metric.REL.success(List.of(e(7, 0.49)), 7));
    assertFalse(Metric.T_GEN.success(List.of(e(8, 0.6), e(7, 0.4)), 7));
    assertFalse(Metric.M_GEN.success(List.of(), 7));
  }

  @Test
  void localityCountsGateMassAndEmptiness() {
    assertTrue(Metric.M_LOC.success(List.of(e(1, 0.05), e(2, 0.04)), 9));
    assertFalse(Metric.M_LOC.success(List.of(e(1, 0.05), e(2, 0.05)), 9));
    assertTrue(Metric.T_LOC.success(List.of(), 9));
    assertFalse(Metric.T_LOC.success(List.of(e(1, 0.02)), 9));
  }

  @Test
  void probesUseTheRightKeysAndTexts() {
    EditCase c =
        new EditCase(0, "src", "reph", "alt", "img.jpg", "img_r.png", "loc", "mloc.jpg", "mlocq");
    VisualKeys k = new VisualKeys(0.9);
    assertArrayEquals(k.image("img.jpg"), Metric.T_GEN.visualKey(LayerKind.VISUAL, c, k));
    assertArrayEquals(
        k.rephrase("img.jpg", "img_r.png"), Metric.M_GEN.visualKey(LayerKind.VISUAL, c, k));
    assertArrayEquals(k.image("mloc.jpg"), Metric.M_LOC.visualKey(LayerKind.VISUAL, c, k));
    assertArrayEquals(
        k.noImage(),
        Metric.T_LOC.visualKey(LayerKind.VISUAL, c, k),
        "T-Loc on a visual layer is searched with the no-image key");
    assertNull(Metric.REL.visualKey(LayerKind.TEXT_ONLY, c, k));
    assertEquals("reph", Metric.T_GEN.text(c));
    assertEquals("src", Metric.M_GEN.text(c));
    assertEquals("mlocq", Metric.M_LOC.text(c));
    assertEquals("loc", Metric.T_LOC.text(c));
    assertFalse(Metric.M_GEN.appliesTo(LayerKind.TEXT_ONLY));
  }

  /** The bench's defaults are the layer defaults, option by option. */
  @Test
  void theDefaultsAreTheLayerDefaults() {
    for (GateMode g : GateMode.values()) {
      for (LayerKind kind : LayerKind.values()) {
        Layer bench = Setting.defaults(g).layer("x", kind);
        Layer plain =
            Layer.builder(
                    "x",
                    "lifelong-bench",
                    "synthetic",
                    Setting.D,
                    Setting.D,
                    kind.visualDim(),
                    TextEncoder.DIMENSION)
                .opt(LayerOption.MAX_RANK, 1)
                .opt(LayerOption.GATE, g)
                .build();
        assertEquals(plain, bench, g + " " + kind);
      }
    }
  }

  /**
   * Every probe can fail: T-Loc on a visual layer searches (with the no-image key) and fails when
   * the hard filter lets an edit through; M-Loc fails when its picture is an edit's; Rel fails when
   * another edit with the same picture and a closer text wins.
   */
  @Test
  void everyProbeCanFail() {
    VisualKeys k = new VisualKeys(0.9);
    EditCase c =
        new EditCase(
            0,
            "what is the man holding",
            "what does the man hold",
            "alt",
            "a.jpg",
            "a_r.png",
            "who wrote hamlet",
            "a.jpg",
            "what colour is the sky");
    try (EditStore store = EditStore.open(StoreConfig.inMemory("metric-can-fail"))) {
      Router router = new Router(store);
      for (double threshold : new double[] {-1, 0.8}) {
        String name = threshold < 0 ? "open" : "closed";
        store.createLayer(
            new Setting(GateMode.LIVEEDIT, threshold, 30, 1, 12).layer(name, LayerKind.VISUAL),
            "test");
        long id =
            store.insert(
                NewEdit.builder(name, c.src(), "umbrella")
                    .visualKey(k.image(c.image()))
                    .textKey(TextEncoder.shared().encode(c.src()))
                    .weights(new float[Setting.D], new float[Setting.D], 1, 1f, WeightDtype.F32)
                    .build(),
                "test");
        Map<Metric, Boolean> ok = new EnumMap<>(Metric.class);
        for (Metric m : Metric.values()) {
          List<RoutedEdit> routed =
              router.route(
                  RouteQuery.of(
                      name,
                      m.visualKey(LayerKind.VISUAL, c, k),
                      TextEncoder.shared().encode(m.text(c))));
          ok.put(m, m.success(routed, id));
        }
        assertTrue(ok.get(Metric.REL), name);
        assertEquals(threshold > 0, ok.get(Metric.T_LOC), name + ": " + ok);
        // m_loc is the edit's own picture here: LIVEEDIT gates let any question through
        assertFalse(ok.get(Metric.M_LOC), name + ": " + ok);
      }
    }
  }

  @Test
  void checkpointsAndSamples() {
    assertEquals(List.of(1, 10, 100, 1000, 2093), SequentialRun.checkpoints(2093));
    assertEquals(List.of(1, 10, 100, 1000), SequentialRun.checkpoints(1000));
    assertEquals(List.of(1, 7), SequentialRun.checkpoints(7));
    int[] s = SequentialRun.sample(2093, 300, 5);
    assertEquals(300, s.length);
    assertEquals(300, Arrays.stream(s).distinct().count());
    assertArrayEquals(s, SequentialRun.sample(2093, 300, 5));
    assertArrayEquals(new int[] {0, 1, 2}, SequentialRun.sample(3, 300, 5));
  }
}
