package io.editdb.cli;

import java.util.Random;

/**
 * Keys drawn around many cluster centres: real embeddings cluster, and uniform random vectors (the
 * worst case for HNSW) would mislead. Each key is a centre plus Gaussian noise, normalised.
 */
public final class Keys {
  private final float[][] centres;
  private final double noise;
  private final Random r;

  public Keys(int dim, int clusters, double noise, long seed) {
    this.r = new Random(seed);
    this.noise = noise;
    this.centres = new float[clusters][];
    for (int i = 0; i < clusters; i++) {
      centres[i] = around(null, dim, 1.0);
    }
  }

  public float[] next() {
    return around(centres[r.nextInt(centres.length)], centres[0].length, noise);
  }

  private float[] around(float[] c, int dim, double sigma) {
    float[] v = new float[dim];
    double norm = 0;
    for (int i = 0; i < dim; i++) {
      v[i] =
          (float)
              ((c == null ? 0 : c[i])
                  + sigma * r.nextGaussian() / (c == null ? 1 : Math.sqrt(dim)));
      norm += v[i] * v[i];
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int i = 0; i < dim; i++) {
      v[i] *= inv;
    }
    return v;
  }

  public static float[] gaussian(Random r, int n, double scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (scale * r.nextGaussian());
    }
    return v;
  }
}
