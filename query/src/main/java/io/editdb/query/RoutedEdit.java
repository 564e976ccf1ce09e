package io.editdb.query;

import io.editdb.store.StoreException;
import io.editdb.store.TokenMasks;

/**
 * One routed edit, from the router through the applier to a result set: the edit, its visual score
 * (raw similarity times visual_scale), its text score (raw similarity times text_scale), its gate
 * (the weight its expert gets; finite, usually in (0, 1]) and the positions its expert acts on in
 * this query ({@code positions}: null for the expert's own token mask, else ascending and distinct,
 * possibly none, e.g. the region attribution finds in this query).
 *
 * <p>The router returns these with null positions; {@link #at} narrows one to positions; an edit
 * applied without routing (a benchmark, a trainer) has NaN scores ({@link #RoutedEdit(long,
 * float)}).
 */
public record RoutedEdit(
    long editId, float visualScore, float textScore, float gate, int[] positions) {

  /** As the router chose it: acting where the expert's own token mask says. */
  public RoutedEdit(long editId, float visualScore, float textScore, float gate) {
    this(editId, visualScore, textScore, gate, null);
  }

  /** An edit applied with a gate but not routed by similarity: NaN scores, its own token mask. */
  public RoutedEdit(long editId, float gate) {
    this(editId, gate, null);
  }

  /** An edit applied with a gate at {@code positions}, not routed by similarity: NaN scores. */
  public RoutedEdit(long editId, float gate, int[] positions) {
    this(editId, Float.NaN, Float.NaN, gate, positions);
  }

  public RoutedEdit {
    if (positions != null && positions.length > 0) {
      try {
        positions = TokenMasks.check(positions);
      } catch (StoreException e) {
        throw new IllegalArgumentException(e.getMessage(), e); // the applier's own error type
      }
    }
    if (!Float.isFinite(gate)) {
      throw new IllegalArgumentException(
          "a gate must be finite; gate="
              + gate
              + " for edit_id="
              + editId
              + "; route with finite text similarities");
    }
  }

  /** This edit acting on {@code positions} of its query (null: its own token mask). */
  public RoutedEdit at(int[] positions) {
    return new RoutedEdit(editId, visualScore, textScore, gate, positions);
  }
}
