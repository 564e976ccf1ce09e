package io.editdb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.store.ExpertKind;
import io.editdb.store.ExpertWeights;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shipped generator on the shipped host; quality is checked through the serving applier. */
class GeneratorExpertMakerTest {
  private static final Scenes SCENES = Scenes.standard();
  private static SceneHost host;
  private static GeneratorExpertMaker gen;

  @BeforeAll
  static void load() {
    host = SceneHost.load();
    gen = GeneratorExpertMaker.load(host);
  }

  @AfterAll
  static void close() {
    gen.close();
    host.close();
  }

  private static HostModel.Input edit(int i) {
    return HostModel.Input.of(SCENES.sample(Split.TEST, i));
  }

  @Test
  void makesAnExpertInTheStoresForm() {
    ExpertWeights w = gen.make(edit(0), "japan", 42);
    int d = host.hiddenSize();
    int r = gen.options().rank();
    assertEquals(42, w.editId());
    assertEquals(ExpertKind.LIVEEDIT, w.kind());
    assertEquals(r, w.rank());
    assertEquals(d, w.dIn());
    assertEquals(d, w.dOut());
    assertEquals(r * d, w.a().length, "A is rank x d");
    assertEquals(d * r, w.b().length, "B is d x rank");
    assertEquals(gen.options().alpha(), w.alpha());
    for (float v : w.a()) {
      assertTrue(Float.isFinite(v));
    }
  }

  @Test
  void theSameEditGivesBitIdenticalWeights() {
    ExpertWeights one = gen.make(edit(3), "paris");
    ExpertWeights two = gen.make(edit(3), "paris");
    assertArrayEquals(bits(one.a()), bits(two.a()));
    assertArrayEquals(bits(one.b()), bits(two.b()));
    ExpertWeights other = gen.make(edit(3), "tokyo");
    assertFalse(Arrays.equals(bits(one.b()), bits(other.b())), "another target, another expert");
  }

  private static int[] bits(float[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Float.floatToRawIntBits(v[i]);
    }
    return out;
  }

  /**
   * Test edits the generator never trained on, each expert applied alone with gate 1 through {@code
   * ExpertApplier}: the target becomes the answer. The shipped generator scored 1.0 on the first
   * 200 test edits (see generator-v1.json); chance is one in the type's answers.
   */
  @Test
  void theShippedGeneratorFlipsTestEdits() {
    List<MakerComparison.Edit> edits = MakerComparison.testEdits(host, SCENES, 12, 2026);
    MakerComparison.Quality q =
        MakerComparison.measure("generator", host, "blocks.2", SCENES, edits, 30, gen::make);
    System.out.println("GeneratorExpertMakerTest - " + q);
    assertTrue(q.success() >= 0.9, "edit success " + q.success());
    assertTrue(q.locality() >= 0.9, "locality " + q.locality());
  }

  @Test
  void badRequestsAreRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> gen.make(edit(0), "banana"));
    assertTrue(e.getMessage().contains("banana"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> gen.make(edit(0), null));
    for (float gate : new float[] {0f, 1.01f, Float.NaN}) {
      assertThrows(IllegalArgumentException.class, () -> gen.make(edit(0), "japan", 1, gate));
    }
    assertEquals(2f * gen.options().alpha(), gen.make(edit(0), "japan", 1, 0.5f).alpha());
    e = assertThrows(IllegalArgumentException.class, () -> gen.make(null, "japan"));
    assertTrue(e.getMessage().contains("input"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new GeneratorExpertMaker.Options("blocks.2", ExpertKind.LORA, 0, 1, 64));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            GeneratorExpertMaker.initialize(
                host, new GeneratorExpertMaker.Options("blocks.7", ExpertKind.LORA, 4, 1, 64), 1));
  }

  @Test
  void optionsLimits() {
    new GeneratorExpertMaker.Options("blocks.2", ExpertKind.LORA, 1, 1, 8);
    new GeneratorExpertMaker.Options("blocks.2", ExpertKind.LORA, 64, 1, 4096);
    for (int rank : new int[] {0, 65}) {
      assertThrows(
          IllegalArgumentException.class,
          () -> new GeneratorExpertMaker.Options("blocks.2", ExpertKind.LORA, rank, 1, 64));
    }
    for (int width : new int[] {7, 4097}) {
      assertThrows(
          IllegalArgumentException.class,
          () -> new GeneratorExpertMaker.Options("blocks.2", ExpertKind.LORA, 4, 1, width));
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> new GeneratorExpertMaker.Options("blocks.2", ExpertKind.LORA, 4, 0, 64));
    GeneratorExpertMaker.Options g = GeneratorExpertMaker.Options.defaults();
    new GeneratorTrainer.Options(g, 1, 2, 1, 1e-3f, 0, 1, 1);
    assertThrows(
        IllegalArgumentException.class,
        () -> new GeneratorTrainer.Options(g, 1, 1, 0, 1e-3f, 0, 1, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new GeneratorTrainer.Options(g, 1, 2, 2, 1e-3f, 0, 1, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new GeneratorTrainer.Options(g, 0, 2, 1, 1e-3f, 0, 1, 1));
  }

  /** Weights trained for one host refuse another (here: other scenes, so other answers). */
  @Test
  void weightsForAnotherHostAreRefused() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    gen.save(out);
    try (SceneHost other = SceneHost.initialize(HostConfig.DEFAULT, Scenes.withSeed(99), 1)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> GeneratorExpertMaker.load(other, new ByteArrayInputStream(out.toByteArray())));
      assertTrue(e.getMessage().contains("train a generator for this host"), e.getMessage());
    }
  }

  @Test
  void weightsRoundTripAndDamageIsCaught() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    gen.save(out);
    byte[] file = out.toByteArray();
    try (GeneratorExpertMaker again =
        GeneratorExpertMaker.load(host, new ByteArrayInputStream(file))) {
      assertArrayEquals(bits(gen.make(edit(5), "rome").b()), bits(again.make(edit(5), "rome").b()));
    }
    byte[] damaged = file.clone();
    damaged[damaged.length / 2] ^= 1;
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> GeneratorExpertMaker.load(host, new ByteArrayInputStream(damaged)));
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> GeneratorExpertMaker.load(host, new ByteArrayInputStream(new byte[64])));
  }

  /** A short run from scratch: the training code still learns. */
  @Test
  void trainingLowersTheLoss() {
    GeneratorTrainer.Options o =
        new GeneratorTrainer.Options(
            GeneratorExpertMaker.Options.defaults(), 40, 16, 4, 1e-3f, 3f, 7, 60);
    GeneratorTrainer.Result r = GeneratorTrainer.train(host, o, SCENES, line -> {});
    try (GeneratorExpertMaker g = r.generator()) {
      System.out.printf(
          "GeneratorExpertMakerTest - 40 steps: loss %.3f -> %.3f in %.1fs%n",
          r.firstLoss(), r.lastLoss(), r.seconds());
      assertEquals(40, r.steps());
      assertTrue(r.lastLoss() < r.firstLoss() / 2, r.firstLoss() + " -> " + r.lastLoss());
    }
  }

  @Test
  void toStringShowsTheWholeConfiguration() {
    assertEquals(
        "GeneratorExpertMaker{host=editdb-"
            + Scenes.DATA_VERSION
            + ", Options[layer="
            + "blocks.2, kind=LIVEEDIT, rank=4, alpha=1.0, width=256], d=64, answers=377}",
        gen.toString());
  }
}
