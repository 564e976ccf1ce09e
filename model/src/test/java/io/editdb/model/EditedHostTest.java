package io.editdb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.editdb.model.QuestionType.Kind;
import io.editdb.query.ApplierConfig;
import io.editdb.query.ExpertApplier;
import io.editdb.query.Router;
import io.editdb.query.TextEncoder;
import io.editdb.store.EditStore;
import io.editdb.store.ExpertKind;
import io.editdb.store.Layer;
import io.editdb.store.LayerOption;
import io.editdb.store.NewEdit;
import io.editdb.store.StoreConfig;
import io.editdb.store.StoreSession;
import io.editdb.store.WeightDtype;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The edit hook on a real (untrained, small) host, a real in-memory store, the real router, applier
 * and text encoder: no edit routed means the base logits bit for bit; a fitted expert flips its own
 * sample, a paraphrase and a redrawing, and nothing else; a rollback undoes it.
 */
class EditedHostTest {
  private static final Scenes SCENES = Scenes.standard();
  private static final String MODULE = "blocks.1";
  private static SceneHost host;
  private static EditStore store;
  private static Router router;
  private static ExpertApplier applier;
  private static Layer layer;

  @BeforeAll
  static void open() {
    host = SceneHost.initialize(new HostConfig(32, 3, 2, 64, 12), SCENES, 7);
    store = EditStore.open(StoreConfig.inMemory("edited-host-test"));
    for (ExpertKind kind : ExpertKind.values()) {
      store.createLayer(
          Layer.builder(
                  layerOf(kind),
                  host.name(),
                  MODULE,
                  host.hiddenSize(),
                  host.hiddenSize(),
                  host.visualKeyDim(),
                  TextEncoder.DIMENSION)
              .opt(LayerOption.EXPERT_KIND, kind)
              .opt(LayerOption.VISUAL_THRESHOLD, THRESHOLD)
              .build(),
          "test");
    }
    layer = store.layer(layerOf(ExpertKind.LIVEEDIT));
    router = new Router(store);
    applier = ExpertApplier.create(ApplierConfig.defaults().optDevice("cpu"), store::weights);
  }

  /** Between a redrawing's visual similarity (0.91) and an unrelated image's (0.72). */
  static final double THRESHOLD = 0.85;

  /**
   * An untrained host's logits span about one unit (a layer-normed token times a 0.02-scale head),
   * so the margin is small; locality is left to the router, as the test checks.
   */
  static final FitExpertMaker.Options UNTRAINED_FIT =
      new FitExpertMaker.Options(4, ExpertKind.LIVEEDIT, 1f, 1f, 0.3f, 300, 0.05f, 0f, 1);

  @AfterAll
  static void close() {
    applier.close();
    store.close();
    host.close();
  }

  private static String layerOf(ExpertKind kind) {
    return "scenes_" + kind.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static EditedHost edited() {
    return edited(layer);
  }

  private static EditedHost edited(Layer on) {
    return new EditedHost(host, on, router, applier, TextEncoder.shared());
  }

  private static float[] plainLogits(List<HostModel.Input> in) {
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      return host.logits(in, m).toFloatArray();
    }
  }

  @ParameterizedTest
  @EnumSource(ExpertKind.class)
  void fittedExpertFlipsItsSampleAndRephrasesOnlyUntilRolledBack(ExpertKind kind) {
    Layer layer = store.layer(layerOf(kind));
    Sample s = SCENES.sample(Split.TEST, 3, Kind.ENTITY, Phrasing.TRAIN, 0);
    Sample paraphrase = SCENES.rephrase(s, Phrasing.HELD_OUT, 0);
    Sample redrawn = SCENES.redraw(s, 1);
    Sample unrelated = SCENES.sample(Split.TEST, 40, Kind.OBJECTS, Phrasing.TRAIN, 0);
    Sample text = SCENES.sample(Split.TEST, 41, Kind.TEXT, Phrasing.TRAIN, 0);
    List<HostModel.Input> probes =
        List.of(
            HostModel.Input.of(s),
            HostModel.Input.of(paraphrase),
            HostModel.Input.of(redrawn),
            HostModel.Input.of(unrelated),
            HostModel.Input.of(text));
    float[] k = host.visualKey(s.image());
    assertTrue(dot(k, host.visualKey(redrawn.image())) > THRESHOLD, "the redrawing passes");
    assertTrue(dot(k, host.visualKey(unrelated.image())) < THRESHOLD, "the unrelated image not");
    List<EditedHost.Answer> before = edited(layer).answer(probes, null);
    String base = before.get(0).answer();
    String target = SCENES.answers().get((SCENES.answerId(base) + 1) % SCENES.answers().size());

    FitExpertMaker fit = new FitExpertMaker(host, MODULE, UNTRAINED_FIT.withKind(kind));
    FitExpertMaker.Fit f = fit.fit(HostModel.Input.of(s), target, List.of());
    assertTrue(f.reached(), "fit must reach its target: " + f);
    long id =
        store.insert(
            NewEdit.builder(layer.name(), s.question(), target)
                .visualKey(k)
                .textKey(TextEncoder.shared().encode(s.question()))
                .weights(f.a(), f.b(), f.rank(), f.alpha(), WeightDtype.F32)
                .build(),
            "test");

    List<EditedHost.Answer> after = edited(layer).answer(probes, null);
    for (int i = 0; i < 3; i++) {
      assertEquals(target, after.get(i).answer(), "probe " + i + ": " + after.get(i).routed());
      assertEquals(id, after.get(i).routed().get(0).editId());
      assertEquals(before.get(i).baseAnswer(), after.get(i).baseAnswer());
    }
    for (int i = 3; i < 5; i++) {
      assertEquals(List.of(), after.get(i).routed(), "probe " + i + " routes nothing");
      assertArrayEquals(before.get(i).logits(), after.get(i).logits(), "probe " + i);
    }
    long edited = store.latestVersion();
    try (StoreSession session = store.openSession("test")) {
      session.rollbackEdit(id, "test: undo");
      session.commit();
    }
    List<EditedHost.Answer> rolledBack = edited(layer).answer(probes, null);
    for (int i = 0; i < probes.size(); i++) {
      assertArrayEquals(before.get(i).logits(), rolledBack.get(i).logits(), "probe " + i);
      assertEquals(List.of(), rolledBack.get(i).routed());
    }
    assertEquals(
        target,
        edited(layer).answer(probes.subList(0, 1), edited).get(0).answer(),
        "at the edit's version the edit still answers");
  }

  @Test
  void withNothingRoutedTheLogitsAreTheBaseModelsBitForBit() {
    List<HostModel.Input> in =
        List.of(
            HostModel.Input.of(SCENES.sample(Split.TEST, 7, Kind.OBJECTS, Phrasing.TRAIN, 0)),
            HostModel.Input.of(SCENES.sample(Split.TEST, 8, Kind.ENTITY, Phrasing.HELD_OUT, 0)),
            HostModel.Input.of(SCENES.sample(Split.TEST, 9, Kind.TEXT, Phrasing.TRAIN, 0)));
    float[] plain = plainLogits(in);
    int w = SCENES.answers().size();
    List<EditedHost.Answer> out = edited().answer(in, 0L);
    for (int i = 0; i < in.size(); i++) {
      assertEquals(List.of(), out.get(i).routed());
      assertArrayEquals(Arrays.copyOfRange(plain, i * w, (i + 1) * w), out.get(i).logits());
      assertEquals(out.get(i).baseAnswer(), out.get(i).answer());
    }
  }

  /**
   * A text-only question on a visual layer is keyed with the host's no-image key and searched (so a
   * visual layer's T-Loc can fail); a text-only layer routes by the question alone.
   */
  @Test
  void aTextOnlyQuestionIsSearchedOnVisualAndTextOnlyLayers() {
    Sample text = SCENES.sample(Split.TEST, 51, Kind.TEXT, Phrasing.TRAIN, 0);
    Sample pictured = SCENES.sample(Split.TEST, 52, Kind.ENTITY, Phrasing.TRAIN, 0);
    float[] noImage = host.visualKey(null);
    assertEquals(host.visualKeyDim(), noImage.length);
    assertEquals(1.0, dot(noImage, noImage), 1e-4, "unit length");
    assertTrue(
        dot(noImage, host.visualKey(pictured.image())) < THRESHOLD,
        "a picture does not pass for no picture");
    Layer textOnly =
        Layer.builder(
                "scenes_text_only",
                host.name(),
                MODULE,
                host.hiddenSize(),
                host.hiddenSize(),
                0,
                TextEncoder.DIMENSION)
            .opt(LayerOption.EXPERT_KIND, ExpertKind.LIVEEDIT)
            .build();
    store.createLayer(textOnly, "test");
    for (Layer on : List.of(layer, store.layer(textOnly.name()))) {
      String target =
          SCENES
              .answers()
              .get(
                  (SCENES.answerId(
                              edited(on)
                                  .answer(List.of(HostModel.Input.of(text)), null)
                                  .get(0)
                                  .answer())
                          + 1)
                      % SCENES.answers().size());
      FitExpertMaker.Fit f =
          new FitExpertMaker(host, MODULE, UNTRAINED_FIT)
              .fit(HostModel.Input.of(text), target, List.of());
      NewEdit.Builder b =
          NewEdit.builder(on.name(), text.question(), target)
              .textKey(TextEncoder.shared().encode(text.question()))
              .weights(f.a(), f.b(), f.rank(), f.alpha(), WeightDtype.F32);
      long id = store.insert((on.hasVisual() ? b.visualKey(noImage) : b).build(), "test");
      List<EditedHost.Answer> after =
          edited(on).answer(List.of(HostModel.Input.of(text), HostModel.Input.of(pictured)), null);
      assertEquals(id, after.get(0).routed().get(0).editId(), on.name());
      assertEquals(target, after.get(0).answer(), on.name());
      if (on.hasVisual()) {
        assertEquals(List.of(), after.get(1).routed(), "the picture is filtered out");
      }
      try (StoreSession session = store.openSession("test")) {
        session.rollbackEdit(id, "test: undo");
        session.commit();
      }
    }
  }

  @Test
  void aLayerThatDoesNotFitTheHostIsRefused() {
    Layer wrong = Layer.builder("other", host.name(), "blocks.9", 32, 32, 32, 384).build();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new EditedHost(host, wrong, router, applier, TextEncoder.shared()));
    assertTrue(e.getMessage().contains("blocks.9"), e.getMessage());
    Layer narrow = Layer.builder("other", host.name(), MODULE, 16, 16, 32, 384).build();
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new EditedHost(host, narrow, router, applier, TextEncoder.shared()));
    assertTrue(e.getMessage().contains("d_in 16"), e.getMessage());
    assertNotEquals(null, edited().toString());
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
