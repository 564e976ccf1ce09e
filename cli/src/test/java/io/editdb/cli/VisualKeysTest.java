package io.editdb.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VisualKeysTest {
  @Test
  void sameImageSameKeyAcrossInstancesAndUnitLength() {
    float[] a = new VisualKeys(0.9).image("val2014/COCO_val2014_000000451435.jpg");
    float[] b = new VisualKeys(0.5).image("val2014/COCO_val2014_000000451435.jpg");
    assertArrayEquals(a, b);
    assertEquals(VisualKeys.DIM, a.length);
    assertEquals(1.0, dot(a, a), 1e-5);
  }

  @Test
  void differentImagesAreNearlyOrthogonal() {
    VisualKeys k = new VisualKeys(0.9);
    for (int i = 0; i < 50; i++) {
      double c = dot(k.image("img" + i + ".jpg"), k.image("img" + (i + 1) + ".jpg"));
      assertTrue(Math.abs(c) < 0.25, "cosine " + c);
    }
  }

  @Test
  void rephraseIsNearItsImageAtTheRequestedCosine() {
    for (double target : new double[] {0.9, 0.7}) {
      VisualKeys k = new VisualKeys(target);
      double sum = 0;
      for (int i = 0; i < 200; i++) {
        float[] img = k.image("img" + i + ".jpg");
        float[] reph = k.rephrase("img" + i + ".jpg", "reph" + i + ".png");
        assertEquals(1.0, dot(reph, reph), 1e-5);
        sum += dot(img, reph);
      }
      assertEquals(target, sum / 200, 0.01);
    }
  }

  @Test
  void refusesACosineOutsideZeroToOne() {
    assertThrows(IllegalArgumentException.class, () -> new VisualKeys(0));
    assertThrows(IllegalArgumentException.class, () -> new VisualKeys(1.5));
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }
}
