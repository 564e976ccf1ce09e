package io.editdb.cli;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Synthetic visual keys: the benchmark data names images by path but does not ship them, so a key
 * is derived from the path instead of the pixels. Each image's key is a Gaussian vector seeded from
 * a SHA-256 of its path, normalised (same path, same key, on every machine; two different images
 * are independent, cosine about 0 +- 0.044 at 512 dimensions). An {@code image_rephrase} key is its
 * image's key plus Gaussian noise seeded from the rephrase's own path, scaled so that the expected
 * cosine with the image's key is {@link #rephraseCosine()}.
 *
 * <p>What this cannot model: real image embeddings of unrelated pictures are not orthogonal, so the
 * visual filter is easier here than with pixels. Results must say so.
 */
public final class VisualKeys {
  public static final int DIM = 512;
  public static final String DESCRIPTION =
      "visual keys are DERIVED FROM IMAGE PATHS, not pixels"
          + " (images are not shipped): each image's key is a seeded random unit vector of 512 floats"
          + " (same path, same key; different images independent), an image_rephrase key is its"
          + " image's key plus seeded noise";

  private final double rephraseCosine;
  private final double sigma;
  private final Map<String, float[]> cache = new HashMap<>();

  /** {@code rephraseCosine} in (0, 1]: how close an image_rephrase key is to its image's. */
  public VisualKeys(double rephraseCosine) {
    if (!(rephraseCosine > 0 && rephraseCosine <= 1)) {
      throw new IllegalArgumentException(
          "rephrase cosine must be in (0, 1]; rephraseCosine=" + rephraseCosine + ". Use e.g. 0.9");
    }
    this.rephraseCosine = rephraseCosine;
    // key + noise of norm sigma (orthogonal in expectation) has cosine 1 / sqrt(1 + sigma^2).
    this.sigma = Math.sqrt(1 / (rephraseCosine * rephraseCosine) - 1);
  }

  public double rephraseCosine() {
    return rephraseCosine;
  }

  /**
   * The key of "no image", for a text-only question on a visual layer (T-Loc): a fixed seeded key,
   * so that the query is searched like any other and can be routed (as EditDB's host keys its
   * no-image input), instead of being left out before any search.
   */
  public synchronized float[] noImage() {
    return cache.computeIfAbsent("no-image", p -> unit(gaussian(seed("no-image")), null, 0));
  }

  /** The key of the image at {@code path}. */
  public synchronized float[] image(String path) {
    return cache.computeIfAbsent(path, p -> unit(gaussian(seed("image:" + p)), null, 0));
  }

  /** The key of {@code rephrasePath}, a variant of the image at {@code imagePath}. */
  public synchronized float[] rephrase(String imagePath, String rephrasePath) {
    return cache.computeIfAbsent(
        "rephrase:" + imagePath + "|" + rephrasePath,
        p -> unit(gaussian(seed("rephrase:" + rephrasePath)), image(imagePath), sigma));
  }

  private static double[] gaussian(long seed) {
    Random r = new Random(seed); // java.util.Random's sequence is specified: stable everywhere
    double[] g = new double[DIM];
    for (int i = 0; i < DIM; i++) {
      g[i] = r.nextGaussian();
    }
    return g;
  }

  /** base + scale * g / sqrt(DIM), normalised; with base null, just g normalised. */
  private static float[] unit(double[] g, float[] base, double scale) {
    double[] v = new double[DIM];
    double norm = 0;
    for (int i = 0; i < DIM; i++) {
      v[i] = base == null ? g[i] : base[i] + scale * g[i] / Math.sqrt(DIM);
      norm += v[i] * v[i];
    }
    float[] out = new float[DIM];
    double inv = 1 / Math.sqrt(norm);
    for (int i = 0; i < DIM; i++) {
      out[i] = (float) (v[i] * inv);
    }
    return out;
  }

  static long seed(String s) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      long seed = 0;
      for (int i = 0; i < 8; i++) {
        seed = (seed << 8) | (h[i] & 0xff);
      }
      return seed;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
