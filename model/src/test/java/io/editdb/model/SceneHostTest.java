package io.editdb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.editdb.model.QuestionType.Kind;
import io.editdb.query.ApplierConfig;
import io.editdb.query.ExpertApplier;
import io.editdb.query.RoutedEdit;
import io.editdb.store.ExpertKind;
import io.editdb.store.ExpertWeights;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The forward pass, its split at a layer, keys, persistence and refusals, on an untrained host. */
class SceneHostTest {
  private static final HostConfig SMALL = new HostConfig(32, 3, 2, 64, 12);
  private static final Scenes SCENES = Scenes.standard();
  private static SceneHost host;
  private static NDManager manager;

  @BeforeAll
  static void open() {
    host = SceneHost.initialize(SMALL, SCENES, 7);
    manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
  }

  @AfterAll
  static void close() {
    manager.close();
    host.close();
  }

  /** Images, objects and a text-only question in one batch. */
  private static List<HostModel.Input> mixedInputs() {
    List<HostModel.Input> in = new ArrayList<>();
    for (Kind k : Kind.values()) {
      for (int i = 0; i < 3; i++) {
        in.add(HostModel.Input.of(SCENES.sample(Split.TEST, i, k, Phrasing.TRAIN, 0)));
      }
    }
    return in;
  }

  @Test
  void splitAtEveryLayerEqualsThePlainForwardBitForBit() {
    List<HostModel.Input> in = mixedInputs();
    try (NDManager m = manager.newSubManager()) {
      float[] plain = host.logits(in, m).toFloatArray();
      assertEquals(in.size() * SCENES.answers().size(), plain.length);
      for (String layer : host.layers()) {
        NDArray h = host.hiddenAt(layer, in, m);
        assertEquals(new Shape(in.size(), host.sequenceLength(), host.hiddenSize()), h.getShape());
        assertArrayEquals(plain, host.continueFrom(layer, h).toFloatArray(), layer);
      }
    }
  }

  @Test
  void noRoutedExpertThroughTheApplierChangesNothing() {
    List<HostModel.Input> in = mixedInputs();
    try (NDManager m = manager.newSubManager();
        ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), id -> null)) {
      float[] plain = host.logits(in, m).toFloatArray();
      NDArray h = host.hiddenAt("blocks.1", in, m);
      List<List<RoutedEdit>> none = new ArrayList<>();
      in.forEach(x -> none.add(List.of()));
      NDArray edited = applier.apply(h, none, null);
      assertArrayEquals(plain, host.continueFrom("blocks.1", edited).toFloatArray());
    }
  }

  @Test
  void aRoutedExpertChangesOnlyItsQuery() {
    int d = host.hiddenSize();
    Random r = new Random(3);
    float[] a = new float[2 * d];
    float[] b = new float[d * 2];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) r.nextGaussian();
      b[i] = (float) r.nextGaussian();
    }
    for (ExpertKind kind : ExpertKind.values()) {
      ExpertWeights w = new ExpertWeights(1, kind, 2, d, d, 1f, a, b);
      List<HostModel.Input> in = mixedInputs().subList(0, 2);
      try (NDManager m = manager.newSubManager();
          ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), id -> w)) {
        float[] plain = host.logits(in, m).toFloatArray();
        NDArray h = host.hiddenAt("blocks.1", in, m);
        List<List<RoutedEdit>> routed = List.of(List.of(new RoutedEdit(1, 1f)), List.of());
        float[] out = host.continueFrom("blocks.1", applier.apply(h, routed, null)).toFloatArray();
        int n = SCENES.answers().size();
        assertFalse(
            java.util.Arrays.equals(
                java.util.Arrays.copyOfRange(plain, 0, n), java.util.Arrays.copyOfRange(out, 0, n)),
            kind + ": the routed query's logits must move");
        assertArrayEquals(
            java.util.Arrays.copyOfRange(plain, n, 2 * n),
            java.util.Arrays.copyOfRange(out, n, 2 * n),
            kind + ": the other query must not");
      }
    }
  }

  @Test
  void visualKeysAreUnitVectorsOfThePixels() {
    Sample s = SCENES.sample(Split.TEST, 0, Kind.ENTITY, Phrasing.TRAIN, 0);
    float[] k = host.visualKey(s.image());
    assertEquals(host.visualKeyDim(), k.length);
    double norm = 0;
    for (float v : k) {
      norm += v * v;
    }
    assertEquals(1.0, norm, 1e-4);
    assertArrayEquals(k, host.visualKey(s.image()));
    assertFalse(java.util.Arrays.equals(k, host.visualKey(SCENES.redraw(s, 1).image())));
    float[][] both = host.visualKeys(List.of(s.image(), SCENES.redraw(s, 1).image()));
    assertArrayEquals(k, both[0], 1e-6f);
  }

  @Test
  void aBoxCoversTheVisualPositionsOfItsCells() {
    boolean[] corner = host.positionsCovering(new java.awt.Rectangle(0, 0, 8, 8));
    assertTrue(corner[1]);
    for (int i = 0; i < corner.length; i++) {
      assertEquals(i == 1, corner[i], "position " + i);
    }
    boolean[] middle = host.positionsCovering(new java.awt.Rectangle(12, 12, 8, 8));
    int count = 0;
    for (int t = 1; t <= HostConfig.VISUAL_TOKENS; t++) {
      count += middle[t] ? 1 : 0;
    }
    assertEquals(4, count); // cells (1,1), (2,1), (1,2), (2,2)
    assertTrue(middle[1 + 5] && middle[1 + 6] && middle[1 + 9] && middle[1 + 10]);
    assertRefused(() -> host.positionsCovering(new java.awt.Rectangle(3, 3, 0, 5)), "box");
  }

  @Test
  void savedWeightsLoadToTheSameModel() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    host.save(out);
    List<HostModel.Input> in = mixedInputs();
    try (SceneHost back = SceneHost.load(new ByteArrayInputStream(out.toByteArray()));
        NDManager m = manager.newSubManager()) {
      assertEquals(host.toString(), back.toString());
      assertArrayEquals(host.logits(in, m).toFloatArray(), back.logits(in, m).toFloatArray());
    }
    byte[] bad = out.toByteArray();
    bad[bad.length / 2] ^= 1;
    assertThrows(
        IllegalArgumentException.class,
        () -> SceneHost.load(new ByteArrayInputStream(bad)).close());
    byte[] future = out.toByteArray();
    future[11] = 2; // format version 2, after the 8-byte magic
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SceneHost.load(new ByteArrayInputStream(future)).close());
    assertTrue(e.getMessage().contains("format must be 1; got 2"), e.getMessage());
    byte[] notOurs = "PNG not weights".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertThrows(
        IllegalArgumentException.class,
        () -> SceneHost.load(new ByteArrayInputStream(notOurs)).close());
  }

  @Test
  void toStringShowsTheWholeConfiguration() {
    assertEquals(
        "SceneHost{HostConfig[hidden=32, layers=3, heads=2, mlp=64, questionTokens=12],"
            + " data="
            + Scenes.DATA_VERSION
            + ", words="
            + SCENES.questionWords().size()
            + ", answers="
            + SCENES.answers().size()
            + ", layers=[blocks.0, blocks.1, blocks.2]}",
        host.toString());
    boolean[] vis = host.visualPositions();
    assertEquals(host.sequenceLength(), vis.length);
    assertFalse(vis[0]);
    assertTrue(vis[1] && vis[HostConfig.VISUAL_TOKENS]);
    assertFalse(vis[HostConfig.VISUAL_TOKENS + 1]);
  }

  @Test
  void badInputsAreRefusedWithTheFix() {
    BufferedImage img = SCENES.sample(Split.TEST, 0, Kind.OBJECTS, Phrasing.TRAIN, 0).image();
    List<HostModel.Input> ok = List.of(new HostModel.Input(img, "how many objects are there"));
    try (NDManager m = manager.newSubManager()) {
      assertRefused(() -> host.hiddenAt("blocks.9", ok, m), "blocks.9");
      assertRefused(() -> host.continueFrom("layer", host.hiddenAt("blocks.0", ok, m)), "layer");
      assertRefused(
          () -> host.logits(List.of(new HostModel.Input(img, "how many zebras")), m), "zebras");
      assertRefused(
          () ->
              host.logits(
                  List.of(
                      new HostModel.Input(
                          img,
                          "how many objects are there in the picture on the left or the right")),
                  m),
          "at most");
      assertRefused(() -> host.logits(List.of(new HostModel.Input(img, " ")), m), "question");
      String twelve = "is the red object on the left or the right of picture";
      assertEquals(12, twelve.split(" ").length);
      host.logits(List.of(new HostModel.Input(img, twelve)), m); // exactly the limit
      assertRefused(
          () -> host.logits(List.of(new HostModel.Input(img, twelve + " there")), m), "at most 12");
      assertRefused(() -> host.logits(List.of(), m), "at least one");
      BufferedImage big = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
      assertRefused(
          () ->
              host.logits(List.of(new HostModel.Input(big, "how many objects are" + " there")), m),
          "64x64");
      assertRefused(
          () -> host.continueFrom("blocks.0", m.zeros(new Shape(1, 5, 32))), "(1, 5, 32)");
    }
    assertRefused(() -> new HostConfig(30, 2, 4, 64, 12), "heads");
    assertRefused(() -> new HostConfig(7, 1, 1, 64, 12), "hidden=7");
    new HostConfig(8, 1, 1, 8, 4); // the smallest host
    assertRefused(() -> new HostConfig(8, 1, 1, 8, 3), "questionTokens=3");
    assertRefused(() -> new HostConfig(32, 0, 2, 64, 12), "layers=0");
  }

  private static void assertRefused(org.junit.jupiter.api.function.Executable call, String says) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(says), e.getMessage() + " should mention " + says);
  }
}
