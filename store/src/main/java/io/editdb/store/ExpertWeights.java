package io.editdb.store;

/**
 * The weights of one edit's expert, decoded to f32 for computation.
 *
 * <p>{@code a} is rank x dIn and {@code b} is dOut x rank, both flattened row-major. The stored
 * dtype (f32, f16, bf16) is kept in H2; this view is what the applier multiplies with.
 */
public record ExpertWeights(
    long editId, ExpertKind kind, int rank, int dIn, int dOut, float alpha, float[] a, float[] b) {

  public ExpertWeights {
    if (rank < 1) {
      throw new IllegalArgumentException("rank must be at least 1; rank=" + rank);
    }
    if (a.length != rank * dIn) {
      throw new IllegalArgumentException(
          "expert_a must have rank x d_in = " + rank * dIn + " floats; got " + a.length);
    }
    if (b.length != dOut * rank) {
      throw new IllegalArgumentException(
          "expert_b must have d_out x rank = " + dOut * rank + " floats; got " + b.length);
    }
  }

  /** Bytes this expert occupies as f32 tensors (for cache accounting). */
  public long f32Bytes() {
    return 4L * (a.length + b.length);
  }
}
