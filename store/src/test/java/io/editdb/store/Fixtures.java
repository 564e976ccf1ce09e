package io.editdb.store;

import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/** Small layers, random keys and edits for the store's tests. Seeded: failures replay. */
final class Fixtures {
  static final int D = 8;
  static final int VIS = 6;
  static final int TXT = 5;
  private static final AtomicInteger MEM = new AtomicInteger();

  private Fixtures() {}

  static long seed() {
    String s = System.getProperty("tests.seed");
    return s != null ? Long.parseLong(s) : System.nanoTime();
  }

  static StoreConfig mem() {
    return StoreConfig.inMemory("t" + MEM.incrementAndGet() + "_" + System.nanoTime());
  }

  static Layer.Builder layer(String name) {
    return Layer.builder(name, "tiny-vlm", "model.layers.1", D, D, VIS, TXT)
        .opt(LayerOption.MAX_RANK, 4);
  }

  static float[] unit(Random r, int n) {
    float[] v = new float[n];
    double norm = 0;
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
      norm += v[i] * v[i];
    }
    for (int i = 0; i < n; i++) {
      v[i] /= (float) Math.sqrt(norm);
    }
    return v;
  }

  static float[] floats(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  static NewEdit.Builder edit(Random r, String layer, int rank) {
    return NewEdit.builder(layer, "What is shown? #" + r.nextInt(1000), "a cat")
        .imageRef("coco/" + r.nextInt(100) + ".jpg")
        .visualKey(unit(r, VIS))
        .textKey(unit(r, TXT))
        .weights(floats(r, rank * D), floats(r, D * rank), rank, 0.5f, WeightDtype.F32)
        .author("tester")
        .reason("test");
  }
}
