package io.editdb.bench.lifelong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.cli.VisualKeys;
import io.editdb.query.RouteQuery;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.query.RouterConfig;
import io.editdb.store.EditStore;
import io.editdb.store.GateMode;
import io.editdb.store.KeyHit;
import io.editdb.store.Layer;
import io.editdb.store.NewEdit;
import io.editdb.store.SearchMode;
import io.editdb.store.StoreConfig;
import io.editdb.store.StoreSession;
import io.editdb.store.WeightDtype;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sweep re-scores settings from one search's hits with {@link Router#choose}; that must decide
 * exactly as routing a query does, for both gate modes and layer kinds, with ties (several edits on
 * one image).
 */
class RoutingMathTest {
  private static final float[] W = {1, 0, 0, 0, 0, 0, 0, 0};

  @Test
  void agreesWithTheRouterOnManySettings() {
    Random r = new Random(3);
    List<Setting> settings =
        List.of(
            new Setting(GateMode.LIVEEDIT, 0.8, 10, 1, 5),
            new Setting(GateMode.LIVEEDIT, 0.3, 50, 1, 5),
            new Setting(GateMode.SOFTMAX, 0.5, 20, 1, 10),
            new Setting(GateMode.SOFTMAX, 0.9, 5, 0.5, 1),
            new Setting(GateMode.SOFTMAX, 0.2, 100, 2, 60));
    try (EditStore store = EditStore.open(StoreConfig.inMemory("routing-math-test"))) {
      Router router = new Router(store, RouterConfig.DEFAULT.withForcedMode(SearchMode.EXACT));
      int checked = 0;
      int nonEmpty = 0;
      for (LayerKind kind : LayerKind.values()) {
        for (int si = 0; si < settings.size(); si++) {
          String name = "l_" + kind.name().toLowerCase(Locale.ROOT) + si;
          Layer layer = store.createLayer(settings.get(si).layer(name, kind), "test");
          // 12 images with 1 to 4 edits each: equal visual keys make ties the text must break
          List<float[]> images = new ArrayList<>();
          List<float[]> texts = new ArrayList<>();
          try (StoreSession s = store.openSession("test")) {
            for (int img = 0; img < 12; img++) {
              float[] v = unit(r, VisualKeys.DIM, null, 0);
              for (int e = 0; e <= img % 4; e++) {
                float[] t = unit(r, 384, null, 0);
                images.add(v);
                texts.add(t);
                s.insert(
                    NewEdit.builder(layer.name(), "q", "a")
                        .visualKey(kind.visual() ? v : null)
                        .textKey(t)
                        .weights(W, W, 1, 1f, WeightDtype.F32)
                        .build());
              }
            }
            s.commit();
          }
          for (int q = 0; q < 60; q++) {
            int i = r.nextInt(images.size());
            float[] v = unit(r, VisualKeys.DIM, images.get(i), q % 3 * 0.4);
            float[] t = unit(r, 384, texts.get(i), q % 4 * 0.5);
            RouteQuery query = RouteQuery.of(layer.name(), kind.visual() ? v : null, t);
            List<KeyHit> hits =
                store.searchKeys(
                    layer,
                    kind.visual() ? v : t,
                    t,
                    Math.max(layer.maxCandidates(), RouterConfig.DEFAULT.efSearch()),
                    store.latestVersion(),
                    SearchMode.EXACT);
            List<RoutedEdit> want = router.route(query);
            assertSameRouting(
                want,
                Router.choose(store.layer(layer.name()), hits, layer.visualThreshold()),
                layer + " query " + q);
            checked++;
            nonEmpty += want.isEmpty() ? 0 : 1;
          }
        }
      }
      assertEquals(600, checked);
      assertTrue(nonEmpty > 200, "the queries must exercise gates, got " + nonEmpty);
    }
  }

  /** Same edits in the same order, scores and gates equal up to float rounding. */
  static void assertSameRouting(List<RoutedEdit> want, List<RoutedEdit> got, String what) {
    assertEquals(
        want.stream().map(RoutedEdit::editId).toList(),
        got.stream().map(RoutedEdit::editId).toList(),
        what);
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.get(i).visualScore(), got.get(i).visualScore(), 1e-5, what);
      assertEquals(want.get(i).textScore(), got.get(i).textScore(), 1e-4, what);
      assertEquals(want.get(i).gate(), got.get(i).gate(), 1e-6, what);
    }
  }

  /** Normalised base + sigma * noise / sqrt(dim) (a fresh random key when base is null). */
  static float[] unit(Random r, int dim, float[] base, double sigma) {
    float[] v = new float[dim];
    double n = 0;
    for (int i = 0; i < dim; i++) {
      double g = r.nextGaussian();
      v[i] = (float) (base == null ? g : base[i] + sigma * g / Math.sqrt(dim));
      n += v[i] * v[i];
    }
    for (int i = 0; i < dim; i++) {
      v[i] /= (float) Math.sqrt(n);
    }
    return v;
  }
}
