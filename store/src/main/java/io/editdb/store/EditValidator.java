package io.editdb.store;

import static io.editdb.store.StoreException.Kind.INVALID_VALUE;

import java.util.Locale;

/** The rules an edit must meet before anything is written; each message: rule, value, fix. */
final class EditValidator {
  /** Tolerance on the norm of keys of a DOT layer. */
  static final double UNIT_TOLERANCE = 1e-3;

  private EditValidator() {}

  static void check(Layer layer, NewEdit e) {
    text("prompt", e.prompt(), true);
    text("target", e.target(), true);
    reason(e.reason());
    if (e.imageRef() != null && e.imageRef().length() > 4096) {
      throw bad("image_ref must be at most 4096 characters; it has " + e.imageRef().length());
    }
    wellFormed("image_ref", e.imageRef());
    if (e.author() != null && e.author().length() > 256) {
      throw bad("author must be at most 256 characters; it has " + e.author().length());
    }
    wellFormed("author", e.author());
    if (e.tokenMask() != null) {
      TokenMasks.check(e.tokenMask());
    }
    if (e.queryRegion() != null) {
      TokenMasks.checkRegion(e.queryRegion());
      if (e.tokenMask() == null) {
        throw bad(
            "an edit with query_region '"
                + e.queryRegion()
                + "' needs the token_mask its"
                + " expert was fitted under (the region the rule chose on the edit's picture); give"
                + " both, or insert with the image so the host chooses them");
      }
    }
    if (layer.hasVisual()) {
      if (e.visualKey() == null) {
        throw bad(
            "visual_key is required on layer "
                + layer.name()
                + " (visual_dim "
                + layer.visualDim()
                + "); visual_key=null. Give the image's key");
      }
      key("visual_key", e.visualKey(), layer.visualDim(), layer, layer.visualSimilarity());
    } else if (e.visualKey() != null && e.visualKey().length > 0) {
      throw bad(
          "visual_key must be absent on text-only layer "
              + layer.name()
              + " (visual_dim 0); it has "
              + e.visualKey().length
              + " floats. Leave it out");
    }
    if (e.textKey() == null) {
      throw bad(
          "text_key is required; text_key=null. Give it, or leave the column out in SQL to"
              + " compute it from the prompt");
    }
    key("text_key", e.textKey(), layer.textDim(), layer, layer.textSimilarity());
    if (e.rank() < 1 || e.rank() > layer.maxRank()) {
      throw bad(
          "rank must be between 1 and the layer's max_rank "
              + layer.maxRank()
              + "; rank="
              + e.rank()
              + ". Use a smaller rank or a layer with a larger MAX_RANK");
    }
    if (!Float.isFinite(e.alpha())) {
      throw bad("alpha must be a finite number; alpha=" + e.alpha());
    }
    weights(
        "expert_a",
        e.expertA(),
        (long) e.rank() * layer.dIn(),
        "rank x d_in = " + e.rank() + " x " + layer.dIn());
    weights(
        "expert_b",
        e.expertB(),
        (long) layer.dOut() * e.rank(),
        "d_out x rank = " + layer.dOut() + " x " + e.rank());
    if (VectorCodec.dtype(e.expertA()) != VectorCodec.dtype(e.expertB())) {
      throw bad(
          "expert_a and expert_b must have the same dtype; they are "
              + VectorCodec.dtype(e.expertA())
              + " and "
              + VectorCodec.dtype(e.expertB()));
    }
  }

  private static void text(String what, String v, boolean required) {
    if (v == null) {
      if (required) {
        throw bad(what + " is required; " + what + "=null");
      }
      return;
    }
    if (v.length() > NewEdit.MAX_TEXT) {
      throw bad(
          what + " must be at most " + NewEdit.MAX_TEXT + " characters; it has " + v.length());
    }
    wellFormed(what, v);
  }

  /** The reason of an insert, rollback or restore: optional, else text like a prompt's. */
  static void reason(String reason) {
    text("reason", reason, false);
  }

  /**
   * Text must be Unicode text, any sequence of code points (NUL, emoji, right-to-left text,
   * combining marks, control characters are all kept exactly as given), but no unpaired surrogate:
   * that is no code point and has no UTF-8 form, so the history's hash (over UTF-8) sees a '?' in
   * its place and the text encoder drops it, and two different texts would look alike.
   */
  private static void wellFormed(String what, String v) {
    if (v == null) {
      return;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < v.length()
          && Character.isLowSurrogate(v.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw bad(
            what
                + " must be well-formed UTF-16; it has an unpaired surrogate U+"
                + Integer.toHexString(c).toUpperCase(Locale.ROOT)
                + " at index "
                + i
                + ". Pair it or remove it");
      }
    }
  }

  private static void key(String what, float[] k, int dim, Layer layer, Similarity sim) {
    if (k.length != dim) {
      throw bad(
          what
              + " has "
              + k.length
              + " floats but layer "
              + layer.name()
              + " expects "
              + dim
              + "; give a key of that length");
    }
    double norm2 = 0;
    for (int i = 0; i < k.length; i++) {
      if (!Float.isFinite(k[i])) {
        throw bad(what + " must hold finite numbers; " + what + "[" + i + "]=" + k[i]);
      }
      norm2 += (double) k[i] * k[i];
    }
    if (norm2 == 0) {
      throw bad(what + " must not be all zeros; a zero key matches nothing. Give the real key");
    }
    // The index computes in 32-bit floats (and normalises COSINE keys): a key whose squared
    // length underflows to 0 or overflows there cannot be indexed, and would fail every commit.
    // The bounds leave room for the index summing in another order.
    if (norm2 < Float.MIN_NORMAL || norm2 > Float.MAX_VALUE / 2) {
      throw bad(
          what
              + " has length "
              + Math.sqrt(norm2)
              + "; its squared length must be between "
              + Float.MIN_NORMAL
              + " and "
              + Float.MAX_VALUE / 2
              + " for the index's 32-bit floats."
              + " Scale the key (e.g. to length 1)");
    }
    if (sim == Similarity.DOT && Math.abs(Math.sqrt(norm2) - 1) > UNIT_TOLERANCE) {
      throw bad(
          what
              + " must have length 1 on a DOT layer; its length is "
              + Math.sqrt(norm2)
              + ". Normalise it, or use COSINE");
    }
  }

  private static void weights(String what, byte[] blob, long expected, String shape) {
    if (blob == null) {
      throw bad(what + " is required; " + what + "=null");
    }
    if (!VectorCodec.isVector(blob)) {
      throw bad(
          what + " is not an EditDB vector blob; pass floats, or bytes made by" + " VectorCodec");
    }
    float[] v;
    try {
      v = VectorCodec.decode(blob);
    } catch (IllegalArgumentException e) {
      throw bad(what + ": " + e.getMessage());
    }
    if (v.length != expected) {
      throw bad(
          what
              + " has "
              + v.length
              + " floats but must have "
              + shape
              + " = "
              + expected
              + "; flatten it row-major with that shape");
    }
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        throw bad(
            what
                + " must hold finite numbers; "
                + what
                + "["
                + i
                + "]="
                + v[i]
                + " (after conversion from "
                + VectorCodec.dtype(blob)
                + ")");
      }
    }
  }

  private static StoreException bad(String msg) {
    return new StoreException(INVALID_VALUE, msg);
  }
}
