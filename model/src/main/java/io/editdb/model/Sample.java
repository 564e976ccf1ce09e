package io.editdb.model;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * One question about one drawing (or about nothing drawn, for text-only questions), with its answer
 * from {@link Scenes#answers()}.
 *
 * @param split the split it was drawn from
 * @param index its index in that split; (split, index) fixes the content and the question
 * @param variant which drawing of that content (0 = the original; others are image rephrases)
 * @param type what the question asks
 * @param phrasing the template set its question came from
 * @param question lower-case words separated by single spaces
 * @param answer the answer, one entry of the answer vocabulary
 * @param image {@link Scenes#IMAGE_SIZE} square RGB drawing, or null for a text-only question;
 *     shared, do not draw on it
 * @param entityId the drawn entity's id, or -1 when no entity is drawn
 * @param objects where each thing was drawn (empty for text-only)
 */
public record Sample(
    Split split,
    long index,
    int variant,
    QuestionType type,
    Phrasing phrasing,
    String question,
    String answer,
    BufferedImage image,
    int entityId,
    List<DrawnObject> objects) {

  public Sample {
    objects = List.copyOf(objects);
  }

  public boolean hasImage() {
    return image != null;
  }
}
