package io.editdb.store;

import java.util.Arrays;

/**
 * The rule for an edit's token mask, in one place: the positions of a query's sequence the edit's
 * expert acts on, at least one, each in {@code [0, MAX_POSITION]}, distinct. Stored ascending in
 * {@code edits.token_mask}; NULL there means every position.
 */
public final class TokenMasks {
  /** Largest position a mask may name (sequences longer than this are not edited by position). */
  static final int MAX_POSITION = (1 << 20) - 1;

  private TokenMasks() {}

  /**
   * The mask, sorted ascending.
   *
   * @throws StoreException (INVALID_VALUE) for an empty mask, a negative or too large position, or
   *     one named twice
   */
  public static int[] check(int[] positions) {
    if (positions.length == 0) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "token_mask is empty, so the"
              + " edit would change nothing; name at least one position, or leave token_mask NULL"
              + " to edit every position");
    }
    int[] sorted = positions.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      if (sorted[i] < 0 || sorted[i] > MAX_POSITION) {
        throw new StoreException(
            StoreException.Kind.INVALID_VALUE,
            "token_mask positions must"
                + " be in [0, "
                + MAX_POSITION
                + "]; token_mask names "
                + sorted[i]
                + "; give"
                + " positions of the query's sequence, counting from 0");
      }
      if (i > 0 && sorted[i] == sorted[i - 1]) {
        throw new StoreException(
            StoreException.Kind.INVALID_VALUE,
            "token_mask names position " + sorted[i] + " twice; name each position once");
      }
    }
    return sorted;
  }

  /**
   * Checks a query region rule: {@code TOP k} (k from 1 to {@link #MAX_POSITION} + 1) or {@code
   * MASS p} (0 < p <= 1), upper case, one space.
   *
   * @throws StoreException (INVALID_VALUE) for anything else
   */
  static String checkRegion(String rule) {
    String[] w = rule.split(" ", -1);
    try {
      if (w.length == 2
          && w[0].equals("TOP")
          && Integer.parseInt(w[1]) >= 1
          && Integer.parseInt(w[1]) <= MAX_POSITION + 1) {
        return rule;
      }
      double p = w.length == 2 && w[0].equals("MASS") ? Double.parseDouble(w[1]) : Double.NaN;
      if (p > 0 && p <= 1) {
        return rule;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new StoreException(
        StoreException.Kind.INVALID_VALUE,
        "query_region '"
            + rule
            + "' is"
            + " not a rule; give 'TOP k' (the k visual tokens with the most attribution in each"
            + " query) or 'MASS p' (0 < p <= 1 of it)");
  }

  /**
   * Checks the mask against a sequence length the caller knows (a host's).
   *
   * @throws StoreException (INVALID_VALUE) when a position is at or past {@code length}
   */
  public static void checkWithin(int[] positions, int length, String what) {
    for (int p : positions) {
      if (p >= length) {
        throw new StoreException(
            StoreException.Kind.INVALID_VALUE,
            "token_mask names position "
                + p
                + " but "
                + what
                + " has "
                + length
                + " positions (0 to "
                + (length - 1)
                + "); give positions below "
                + length);
      }
    }
  }
}
