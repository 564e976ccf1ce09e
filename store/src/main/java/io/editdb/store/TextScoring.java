package io.editdb.store;

/**
 * Which hits of a key search get a text similarity (the others get NaN): among the first {@code
 * best} hits in the search's order (primary similarity descending, then edit id), those whose
 * primary similarity is at least {@code from}. A router that keeps at most max_candidates hits
 * above its threshold reads no other text keys: each is a random read of a cold vector, and scoring
 * all of a search's hits was about a sixth of a route's time at 100,000 edits (JFR).
 *
 * @param from the least primary similarity of a hit scored on its text key
 * @param best how many of the best hits may be scored (at least 1)
 */
public record TextScoring(float from, int best) {
  /** Every hit scored. */
  public static final TextScoring ALL = new TextScoring(Float.NEGATIVE_INFINITY, Integer.MAX_VALUE);

  public TextScoring {
    if (best < 1 || Float.isNaN(from)) {
      throw new IllegalArgumentException(
          "text scoring needs best >= 1 and a from that is a number; best="
              + best
              + ", from="
              + from
              + "; use TextScoring.ALL to score every hit");
    }
  }
}
