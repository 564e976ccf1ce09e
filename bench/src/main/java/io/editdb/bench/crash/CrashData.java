package io.editdb.bench.crash;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.SplittableRandom;

/**
 * The layer and the edits of the crash workload. Everything an edit carries (prompt, keys, weights)
 * is derived from its tag alone, so the checker recomputes what the child inserted without the
 * child having to print it.
 *
 * <p>Keys are gaussian in 64 (visual) and 16 (text) dimensions: two independent keys have a cosine
 * of about N(0, 1/64), so the 0.9 visual threshold lets each edit's own key through (cosine 1) and
 * practically never another edit's (7 standard deviations).
 */
final class CrashData {
  static final String LAYER = "crash";
  static final int VISUAL_DIM = 64;
  static final int TEXT_DIM = 16;
  static final int D = 8;
  static final int RANK = 2;
  static final String PROMPT_PREFIX = "crash edit ";

  static final String CREATE_LAYER =
      "CREATE LAYER crash (MODEL 'crash-vlm', MODULE 'layers.0', D_IN 8, D_OUT 8,"
          + " VISUAL_DIM 64, TEXT_DIM 16, MAX_RANK 2, VISUAL_THRESHOLD 0.9, TEXT_SCALE 10,"
          + " GATE LIVEEDIT)";

  /** Explicit text_key: the child never loads the text encoder (faster start). */
  static final String INSERT =
      "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a, expert_b, rank,"
          + " reason) VALUES ('crash', ?, ?, ?, ?, ?, ?, 2, 'crash workload')";

  private CrashData() {}

  static String prompt(String tag) {
    return PROMPT_PREFIX + tag;
  }

  /** The tag of a workload prompt, or null for a prompt the workload did not write. */
  static String tagOf(String prompt) {
    return prompt != null && prompt.startsWith(PROMPT_PREFIX)
        ? prompt.substring(PROMPT_PREFIX.length())
        : null;
  }

  /** Binds the edit of this tag to {@link #INSERT}. */
  static void bind(PreparedStatement ps, String tag) throws SQLException {
    ps.setString(1, prompt(tag));
    ps.setString(2, target(tag));
    ps.setObject(3, visualKey(tag));
    ps.setObject(4, textKey(tag));
    ps.setObject(5, expertA(tag));
    ps.setObject(6, expertB(tag));
  }

  static String target(String tag) {
    return "answer " + tag;
  }

  static float[] visualKey(String tag) {
    return gaussian(tag, 1, VISUAL_DIM);
  }

  static float[] textKey(String tag) {
    return gaussian(tag, 2, TEXT_DIM);
  }

  static float[] expertA(String tag) {
    return gaussian(tag, 3, RANK * D);
  }

  static float[] expertB(String tag) {
    return gaussian(tag, 4, D * RANK);
  }

  private static float[] gaussian(String tag, int stream, int n) {
    SplittableRandom r = new SplittableRandom(hash(tag) * 31 + stream);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  /** 64-bit FNV-1a: String.hashCode's 32 bits would let two tags of one store share keys. */
  private static long hash(String tag) {
    long h = 0xcbf29ce484222325L;
    for (byte b : tag.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }
}
