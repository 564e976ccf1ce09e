package io.editdb.store;

import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.util.VectorUtil;

/**
 * How two keys are compared. Scores everywhere in EditDB are these raw values (a dot product or a
 * cosine), never Lucene's transformed [0, 1] scores.
 */
public enum Similarity {
  /** Dot product of unit-length keys (the store refuses non-unit keys on such a layer). */
  DOT(VectorSimilarityFunction.DOT_PRODUCT),
  /**
   * Cosine of the angle; any non-zero keys. Indexed as unit vectors under Lucene's dot product
   * (Lucene 10 deprecates its own cosine), so the raw score is the dot of the normalised keys.
   */
  COSINE(VectorSimilarityFunction.DOT_PRODUCT),
  /** Plain dot product of keys of any length (LiveEdit's multi-slot keys). */
  MAX_INNER_PRODUCT(VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT);

  final VectorSimilarityFunction lucene;

  Similarity(VectorSimilarityFunction lucene) {
    this.lucene = lucene;
  }

  /** The raw similarity of a and b. */
  public float raw(float[] a, float[] b) {
    return this == COSINE ? VectorUtil.cosine(a, b) : VectorUtil.dotProduct(a, b);
  }

  /** The key as the index holds it: a unit-length copy for COSINE, the key itself otherwise. */
  float[] indexed(float[] key) {
    if (this != COSINE) {
      return key;
    }
    float[] copy = key.clone();
    VectorUtil.l2normalize(copy);
    return copy;
  }

  /**
   * Refuses a filter threshold this similarity cannot be compared with: cosine and the dot product
   * of unit keys lie in [-1, 1], so a threshold outside passes every key or none.
   */
  public void checkThreshold(String name, double t) {
    boolean bounded = this != MAX_INNER_PRODUCT;
    if (!Double.isFinite(t) || (bounded && (t < -1 || t > 1))) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          name
              + " must be a finite"
              + " number"
              + (bounded ? " in [-1, 1] for " + this + " similarity" : "")
              + "; "
              + name
              + "="
              + t
              + ". Use e.g. 0.8");
    }
  }

  public static Similarity parse(String s) {
    for (Similarity v : values()) {
      if (v.name().equalsIgnoreCase(s)) {
        return v;
      }
    }
    throw new StoreException(
        StoreException.Kind.INVALID_VALUE,
        "similarity must be DOT, COSINE or MAX_INNER_PRODUCT; similarity=" + s);
  }
}
