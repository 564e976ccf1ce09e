package io.editdb.model;

/**
 * The shape of EditDB's own host model: a conv stem giving a 4x4 grid of visual tokens, then a
 * pre-norm transformer over [answer token, 16 visual tokens, question tokens].
 *
 * @param hidden width d of every token
 * @param layers transformer blocks
 * @param heads attention heads (must divide hidden)
 * @param mlp width of each block's feed-forward layer
 * @param questionTokens words per question, padded
 */
public record HostConfig(int hidden, int layers, int heads, int mlp, int questionTokens) {
  /** Visual tokens per image: the stem's 4x4 output grid. */
  public static final int VISUAL_TOKENS = 16;

  /** What the shipped weights were trained with. */
  public static final HostConfig DEFAULT = new HostConfig(64, 3, 4, 192, 12);

  public HostConfig {
    check("hidden", hidden, 8, 1024);
    check("layers", layers, 1, 24);
    check("heads", heads, 1, 32);
    check("mlp", mlp, 8, 8192);
    check("questionTokens", questionTokens, 4, 64);
    if (hidden % heads != 0) {
      throw new IllegalArgumentException(
          "heads must divide hidden; hidden="
              + hidden
              + ", heads="
              + heads
              + "; pick a head count that divides the width");
    }
  }

  private static void check(String name, int v, int lo, int hi) {
    if (v < lo || v > hi) {
      throw new IllegalArgumentException(
          name
              + " must be in ["
              + lo
              + ", "
              + hi
              + "]; "
              + name
              + "="
              + v
              + "; choose a value in that range");
    }
  }

  /** Positions per query: the answer token, the visual tokens and the question words. */
  public int sequenceLength() {
    return 1 + VISUAL_TOKENS + questionTokens;
  }
}
