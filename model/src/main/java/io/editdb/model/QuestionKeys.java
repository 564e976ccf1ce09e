package io.editdb.model;

import io.editdb.query.TextEncoder;
import java.util.ArrayList;
import java.util.List;

/**
 * How a layer bound to a host keys questions, chosen by the layer's text_dim: the host's own
 * question representation ({@link HostModel#questionKeys}, the default where the host has one) or
 * the built-in text encoder ({@link TextEncoder#DIMENSION} wide). On EditDB's scene host the host's
 * keys separate a held-out paraphrase from other question types better than the encoder's (README,
 * "Text keys").
 */
final class QuestionKeys {
  private QuestionKeys() {}

  /** The text_dims a layer on {@code host} may have, the default first. */
  static List<Integer> widths(HostModel host) {
    List<Integer> out = new ArrayList<>(2);
    if (host.questionKeyDim() > 0) {
      out.add(host.questionKeyDim());
    }
    if (!out.contains(TextEncoder.DIMENSION)) {
      out.add(TextEncoder.DIMENSION);
    }
    return out;
  }

  /** Keys of the questions for a layer of this text_dim. */
  static float[][] of(HostModel host, int textDim, TextEncoder encoder, List<String> questions) {
    if (textDim == host.questionKeyDim()) {
      return host.questionKeys(questions);
    }
    if (textDim == encoder.dimension()) {
      return encoder.encodeBatch(questions);
    }
    throw new IllegalArgumentException(
        "a layer on "
            + host.name()
            + " has text_dim "
            + textDim
            + ", which keys no questions; its widths are "
            + widths(host)
            + "; create the layer with"
            + " one of them");
  }
}
