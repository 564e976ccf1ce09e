package io.editdb.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Lower-case words to ids over a closed vocabulary; id 0 pads. */
final class WordTokenizer {
  static final int PAD = 0;

  private final List<String> words;
  private final Map<String, Integer> ids = new HashMap<>();
  private final int length;

  WordTokenizer(List<String> words, int length) {
    this.words = List.copyOf(words);
    this.length = length;
    for (int i = 0; i < words.size(); i++) {
      ids.put(words.get(i), i + 1);
    }
  }

  /** Vocabulary size including the padding id. */
  int size() {
    return words.size() + 1;
  }

  List<String> words() {
    return words;
  }

  /** {@code length} ids, padded; unknown words and over-long questions are refused. */
  int[] encode(String question) {
    if (question == null || question.isBlank()) {
      throw new IllegalArgumentException(
          "a question must have at least one word; got "
              + (question == null ? "null" : "'" + question + "'")
              + "; ask a question");
    }
    String[] parts = question.trim().toLowerCase(java.util.Locale.ROOT).split("\\s+");
    if (parts.length > length) {
      throw new IllegalArgumentException(
          "a question may have at most "
              + length
              + " words; got "
              + parts.length
              + " in '"
              + question
              + "'; ask it in fewer words");
    }
    int[] out = new int[length];
    for (int i = 0; i < parts.length; i++) {
      Integer id = ids.get(parts[i]);
      if (id == null) {
        throw new IllegalArgumentException(
            "question word '"
                + parts[i]
                + "' is not in the host's vocabulary of "
                + words.size()
                + " words; rephrase with words from Scenes.questionWords()");
      }
      out[i] = id;
    }
    return out;
  }
}
