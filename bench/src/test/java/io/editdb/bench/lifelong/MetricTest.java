package io.editdb.bench.lifelong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.query.RoutedEdit;
import java.util.Arrays;
import java.util.List;
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
    EditCase c = new EditCase(0, "src", "reph", "alt", "img.jpg", "img_r.png", "loc", "mloc.jpg",
        "mlocq");
    VisualKeys k = new VisualKeys(0.9);
    assertArrayEquals(k.image("img.jpg"), Metric.T_GEN.visualKey(LayerKind.VISUAL, c, k));
    assertArrayEquals(k.rephrase("img.jpg", "img_r.png"),
        Metric.M_GEN.visualKey(LayerKind.VISUAL, c, k));
    assertArrayEquals(k.image("mloc.jpg"), Metric.M_LOC.visualKey(LayerKind.VISUAL, c, k));
    assertNull(Metric.T_LOC.visualKey(LayerKind.VISUAL, c, k));
    assertNull(Metric.REL.visualKey(LayerKind.TEXT_ONLY, c, k));
    assertEquals("reph", Metric.T_GEN.text(c));
    assertEquals("src", Metric.M_GEN.text(c));
    assertEquals("mlocq", Metric.M_LOC.text(c));
    assertEquals("loc", Metric.T_LOC.text(c));
    assertFalse(Metric.M_GEN.appliesTo(LayerKind.TEXT_ONLY));
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
