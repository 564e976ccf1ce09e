package io.editdb.store;

import java.util.Objects;

/**
 * One edit to insert. Weights are kept in the compact {@link VectorCodec} form in the dtype they
 * came in; keys are f32.
 *
 * <pre>{@code
 * NewEdit e = NewEdit.builder("llava_l21", "What color is the bus?", "red")
 *     .imageRef("coco/val2014/COCO_val2014_000000000042.jpg")
 *     .visualKey(v).textKey(t)
 *     .weights(a, b, 4, 1.0f, WeightDtype.BF16)
 *     .author("ana").reason("wrong color")
 *     .build();
 * }</pre>
 */
public record NewEdit(
    String layer,
    String prompt,
    String target,
    String imageRef,
    float[] visualKey,
    float[] textKey,
    byte[] expertA,
    byte[] expertB,
    int rank,
    float alpha,
    String author,
    String reason,
    int[] tokenMask,
    String queryRegion) {

  /** Longest prompt, target or reason, in characters. */
  public static final int MAX_TEXT = 1 << 20;

  /** An edit that acts on every token position. */
  public NewEdit(
      String layer,
      String prompt,
      String target,
      String imageRef,
      float[] visualKey,
      float[] textKey,
      byte[] expertA,
      byte[] expertB,
      int rank,
      float alpha,
      String author,
      String reason) {
    this(
        layer, prompt, target, imageRef, visualKey, textKey, expertA, expertB, rank, alpha, author,
        reason, null, null);
  }

  public static Builder builder(String layer, String prompt, String target) {
    return new Builder(layer, prompt, target);
  }

  /** Builder for {@link NewEdit}. */
  public static final class Builder {
    private final String layer;
    private final String prompt;
    private final String target;
    private String imageRef;
    private float[] visualKey;
    private float[] textKey;
    private byte[] expertA;
    private byte[] expertB;
    private int rank;
    private float alpha = 1f;
    private String author;
    private String reason;
    private int[] tokenMask;
    private String queryRegion;

    private Builder(String layer, String prompt, String target) {
      this.layer = layer;
      this.prompt = prompt;
      this.target = target;
    }

    public Builder imageRef(String v) {
      imageRef = v;
      return this;
    }

    public Builder visualKey(float[] v) {
      visualKey = v;
      return this;
    }

    public Builder textKey(float[] v) {
      textKey = v;
      return this;
    }

    public Builder author(String v) {
      author = v;
      return this;
    }

    public Builder reason(String v) {
      reason = v;
      return this;
    }

    /** The token positions the expert acts on ({@link TokenMasks}); null: every position. */
    public Builder tokenMask(int[] v) {
      tokenMask = v;
      return this;
    }

    /**
     * The rule choosing the positions the expert acts on in each query ({@link
     * TokenMasks#checkRegion}), e.g. {@code TOP 4}; null: the token mask in every query.
     */
    public Builder queryRegion(String v) {
      queryRegion = v;
      return this;
    }

    /** f32 weights converted to {@code dtype}; a is rank x d_in, b is d_out x rank, row-major. */
    public Builder weights(float[] a, float[] b, int rank, float alpha, WeightDtype dtype) {
      Objects.requireNonNull(a, "expert_a");
      Objects.requireNonNull(b, "expert_b");
      return weightsEncoded(
          VectorCodec.encode(a, dtype), VectorCodec.encode(b, dtype), rank, alpha);
    }

    /** Weights already in {@link VectorCodec} form (e.g. bf16 straight from a model). */
    public Builder weightsEncoded(byte[] a, byte[] b, int rank, float alpha) {
      this.expertA = a;
      this.expertB = b;
      this.rank = rank;
      this.alpha = alpha;
      return this;
    }

    public NewEdit build() {
      return new NewEdit(
          layer,
          prompt,
          target,
          imageRef,
          visualKey,
          textKey,
          expertA,
          expertB,
          rank,
          alpha,
          author,
          reason,
          tokenMask,
          queryRegion);
    }
  }
}
