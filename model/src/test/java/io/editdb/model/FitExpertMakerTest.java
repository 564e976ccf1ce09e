package io.editdb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.editdb.model.QuestionType.Kind;
import io.editdb.query.ApplierConfig;
import io.editdb.query.ExpertApplier;
import io.editdb.query.RoutedEdit;
import io.editdb.store.ExpertKind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fit on the shipped host; the result is checked through the serving applier, not the fit loop. */
class FitExpertMakerTest {
  private static final Scenes SCENES = Scenes.standard();
  private static final String LAYER = "blocks.2";
  private static SceneHost host;

  @BeforeAll
  static void load() {
    host = SceneHost.load();
  }

  @AfterAll
  static void close() {
    host.close();
  }

  private static List<HostModel.Input> unrelated(int n) {
    List<HostModel.Input> in = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      in.add(HostModel.Input.of(SCENES.sample(Split.TRAIN, 50_000 + i)));
    }
    return in;
  }

  @Test
  void fitReachesItsTargetAndKeepsUnrelatedAnswers() {
    List<HostModel.Input> locality = unrelated(12);
    for (ExpertKind kind : ExpertKind.values()) {
      FitExpertMaker maker =
          new FitExpertMaker(host, LAYER, FitExpertMaker.Options.defaults().withKind(kind));
      for (int i = 0; i < 3; i++) {
        Sample s = SCENES.sample(Split.TEST, i, Kind.ENTITY, Phrasing.TRAIN, 0);
        String before = host.answer(HostModel.Input.of(s));
        List<String> choices = answersOfType(s);
        String target = choices.get((choices.indexOf(s.answer()) + 1 + i) % choices.size());
        assertNotEquals(s.answer(), target);
        FitExpertMaker.Fit fit = maker.fit(HostModel.Input.of(s), target, locality);
        System.out.printf(
            "FitExpertMakerTest - %s %s -> %s: %s in %d steps, %.3fs%n",
            kind, before, target, fit.reached(), fit.steps(), fit.seconds());
        assertTrue(fit.reached(), kind + " fit did not reach " + target + ": " + fit.margin());
        assertEquals(locality.size(), fit.localityKept());
        // Applied as serving applies it: the edit flips, the unrelated inputs do not.
        List<HostModel.Input> all = new ArrayList<>(locality);
        all.add(0, HostModel.Input.of(s));
        List<List<RoutedEdit>> routed = new ArrayList<>();
        for (int q = 0; q < all.size(); q++) {
          routed.add(List.of(new RoutedEdit(7, 1f)));
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
            ExpertApplier applier =
                ExpertApplier.create(ApplierConfig.defaults(), id -> fit.weights(id))) {
          long[] base = host.logits(all, m).argMax(1).toLongArray();
          NDArray edited = applier.apply(host.hiddenAt(LAYER, all, m), routed, null);
          long[] after = host.continueFrom(LAYER, edited).argMax(1).toLongArray();
          assertEquals(target, host.answers().get((int) after[0]));
          for (int q = 1; q < all.size(); q++) {
            assertEquals(base[q], after[q], "unrelated input " + q + " changed its answer");
          }
        }
      }
    }
  }

  /**
   * Fit sees one drawing and one phrasing; the expert should still carry the new fact to a held-out
   * paraphrase and to another drawing of the same logo (LiveEdit's T-Gen and M-Gen, without
   * routing).
   */
  @Test
  void aFittedExpertCarriesToParaphrasesAndRedrawings() {
    FitExpertMaker maker = new FitExpertMaker(host, LAYER, FitExpertMaker.Options.defaults());
    List<HostModel.Input> locality = unrelated(12);
    int edits = 0;
    int paraphrases = 0;
    int redraws = 0;
    for (int i = 0; edits < 8; i++) {
      Sample s = SCENES.sample(Split.TEST, 100 + i, Kind.ENTITY, Phrasing.TRAIN, 0);
      if (s.type() != QuestionType.ENTITY_COUNTRY && s.type() != QuestionType.ENTITY_PRODUCT) {
        continue;
      }
      List<String> choices = answersOfType(s);
      String target = choices.get((choices.indexOf(s.answer()) + 1) % choices.size());
      FitExpertMaker.Fit fit = maker.fit(HostModel.Input.of(s), target, locality);
      List<HostModel.Input> probes =
          List.of(
              HostModel.Input.of(SCENES.rephrase(s, Phrasing.HELD_OUT, 0)),
              HostModel.Input.of(SCENES.redraw(s, 3)));
      try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
          ExpertApplier applier =
              ExpertApplier.create(ApplierConfig.defaults(), id -> fit.weights(id))) {
        List<List<RoutedEdit>> routed =
            List.of(List.of(new RoutedEdit(1, 1f)), List.of(new RoutedEdit(1, 1f)));
        long[] after =
            host.continueFrom(LAYER, applier.apply(host.hiddenAt(LAYER, probes, m), routed, null))
                .argMax(1)
                .toLongArray();
        int t = host.answers().indexOf(target);
        paraphrases += after[0] == t ? 1 : 0;
        redraws += after[1] == t ? 1 : 0;
      }
      edits++;
    }
    System.out.printf(
        "FitExpertMakerTest - of %d edits: paraphrase %d, redraw %d%n",
        edits, paraphrases, redraws);
    assertTrue(paraphrases >= edits / 2, paraphrases + " of " + edits + " paraphrases flipped");
    assertTrue(redraws >= edits / 2, redraws + " of " + edits + " redraws flipped");
  }

  @Test
  void toStringShowsTheWholeConfiguration() {
    FitExpertMaker maker = new FitExpertMaker(host, LAYER, FitExpertMaker.Options.defaults());
    assertEquals(
        "FitExpertMaker{host=editdb-"
            + Scenes.DATA_VERSION
            + ", layer=blocks.2,"
            + " Options[rank=4, kind=LIVEEDIT, alpha=1.0, gate=1.0, margin=2.0, maxSteps=300,"
            + " learningRate=0.01, localityWeight=1.0, seed=1]}",
        maker.toString());
  }

  private static List<String> answersOfType(Sample s) {
    List<String> out = new ArrayList<>();
    if (s.type() == QuestionType.LOGO_SHAPE) {
      return List.of(SceneGenerator.LOGO_SHAPE_NAMES);
    }
    for (Entity e : SCENES.entities()) {
      String a =
          switch (s.type()) {
            case ENTITY_NAME -> e.name();
            case ENTITY_COUNTRY -> e.country();
            case ENTITY_DECADE -> e.decade();
            default -> e.product();
          };
      if (!out.contains(a)) {
        out.add(a);
      }
    }
    return out;
  }

  /**
   * A fit under a token mask (VisEdit's region) learns through those positions alone: applied by
   * the serving applier with the mask it was fitted under it flips the answer and leaves every
   * other position of the hidden states bit for bit; and a bad mask is refused.
   */
  @Test
  void aFitUnderAMaskLearnsThroughItsRegionAlone() {
    String module = "blocks.1"; // where visual tokens carry the answer (see AttributionTest)
    Sample s = SCENES.sample(Split.TEST, 2, Kind.ENTITY, Phrasing.TRAIN, 0);
    HostModel.Input in = HostModel.Input.of(s);
    List<String> choices = answersOfType(s);
    String target = choices.get((choices.indexOf(host.answer(in)) + 1) % choices.size());
    int[] region =
        new Attribution(host, Attribution.Options.defaults())
            .attribute(in, host.answer(in), module)
            .top(4);
    FitExpertMaker maker = new FitExpertMaker(host, module, FitExpertMaker.Options.defaults());
    FitExpertMaker.Fit fit = maker.fit(in, target, List.of(), null, region);
    assertTrue(fit.reached(), "masked fit did not reach " + target + ": " + fit.margin());
    assertArrayEquals(region, fit.weights(9).tokenMask());
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        ExpertApplier applier =
            ExpertApplier.create(ApplierConfig.defaults(), id -> fit.weights(id))) {
      NDArray h = host.hiddenAt(module, List.of(in), m);
      NDArray edited = applier.apply(h, List.of(List.of(new RoutedEdit(9, 1f))), null);
      assertEquals(
          target, host.answers().get((int) host.continueFrom(module, edited).argMax(1).getLong(0)));
      float[] before = h.toFloatArray();
      float[] after = edited.toFloatArray();
      int d = host.hiddenSize();
      for (int t = 0; t < host.sequenceLength(); t++) {
        boolean inRegion = java.util.Arrays.binarySearch(region, t) >= 0;
        boolean same =
            java.util.Arrays.equals(before, t * d, (t + 1) * d, after, t * d, (t + 1) * d);
        assertEquals(
            !inRegion,
            same,
            "position "
                + t
                + (inRegion ? " is in" : " is outside")
                + " the region "
                + java.util.Arrays.toString(region));
      }
      // The same expert without its mask is another function: the mask is part of the edit.
      NDArray everywhere =
          applier.apply(
              h,
              List.of(
                  List.of(
                      new RoutedEdit(
                          9,
                          1f,
                          java.util.stream.IntStream.range(0, host.sequenceLength()).toArray()))),
              null);
      assertNotEquals(
          java.util.Arrays.toString(after), java.util.Arrays.toString(everywhere.toFloatArray()));
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> maker.fit(in, target, List.of(), null, new int[] {host.sequenceLength()}));
    assertTrue(e.getMessage().contains(Integer.toString(host.sequenceLength())), e.getMessage());
  }

  @Test
  void badRequestsAreRefused() {
    FitExpertMaker maker = new FitExpertMaker(host, LAYER, FitExpertMaker.Options.defaults());
    HostModel.Input in = HostModel.Input.of(SCENES.sample(Split.TEST, 0));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> maker.fit(in, "banana", List.of()));
    assertTrue(e.getMessage().contains("banana"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new FitExpertMaker(host, "blocks.7", FitExpertMaker.Options.defaults()));
    assertThrows(
        IllegalArgumentException.class,
        () -> new FitExpertMaker.Options(0, ExpertKind.LORA, 1, 1, 1, 10, 0.01f, 1, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new FitExpertMaker.Options(4, ExpertKind.LORA, 1, 1.5f, 1, 10, 0.01f, 1, 1));
  }
}
