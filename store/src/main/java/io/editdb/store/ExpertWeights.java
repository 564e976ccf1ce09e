package io.editdb.store;

import java.util.Arrays;

/**
 * The weights of one edit's expert, decoded to f32 for computation, and the token positions it acts
 * on.
 *
 * <p>{@code a} is rank x dIn and {@code b} is dOut x rank, both flattened row-major. The stored
 * dtype (f32, f16, bf16) is kept in H2; this view is what the applier multiplies with. {@code
 * tokenMask} is null when the expert edits every position of a query (LiveEdit), else the positions
 * it edits, ascending and distinct (a VisEdit region, e.g. the visual tokens an answer rests on).
 */
public record ExpertWeights(
    long editId,
    ExpertKind kind,
    int rank,
    int dIn,
    int dOut,
    float alpha,
    float[] a,
    float[] b,
    int[] tokenMask) {

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
    tokenMask = tokenMask == null ? null : TokenMasks.check(tokenMask);
  }

  /** An expert that edits every position. */
  public ExpertWeights(
      long editId,
      ExpertKind kind,
      int rank,
      int dIn,
      int dOut,
      float alpha,
      float[] a,
      float[] b) {
    this(editId, kind, rank, dIn, dOut, alpha, a, b, null);
  }

  /** The same expert restricted to {@code positions} (null: every position). */
  public ExpertWeights withTokenMask(int[] positions) {
    return new ExpertWeights(editId, kind, rank, dIn, dOut, alpha, a, b, positions);
  }

  /** Bytes this expert occupies as f32 tensors (for cache accounting). */
  public long f32Bytes() {
    return 4L * (a.length + b.length);
  }

  @Override
  public String toString() {
    return "ExpertWeights{edit="
        + editId
        + ", "
        + kind
        + ", rank "
        + rank
        + ", "
        + dIn
        + "->"
        + dOut
        + ", alpha "
        + alpha
        + ", tokens "
        + (tokenMask == null ? "all" : Arrays.toString(tokenMask))
        + "}";
  }
}
