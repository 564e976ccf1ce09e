package io.editdb.bench.lifelong;

import io.editdb.cli.EditCase;
import io.editdb.cli.VisualKeys;
import io.editdb.query.RoutedEdit;
import java.util.List;

/**
 * The five lifelong-editing metrics (issue 5), each a probe query built from a record and a success
 * test on what the router returned for it.
 */
public enum Metric {
  /** Own image and src: the edit is the top gate, at least {@link #MIN_TOP_GATE}. */
  REL("Rel"),
  /** Own image and the paraphrase: same test. */
  T_GEN("T-Gen"),
  /** The image_rephrase key and src: same test (visual layers only). */
  M_GEN("M-Gen"),
  /** m_loc image and m_loc_q: total gate mass below {@link #MAX_LOC_MASS}. */
  M_LOC("M-Loc"),
  /** loc text, no image (on a visual layer keyed as "no image" and searched): nothing routed. */
  T_LOC("T-Loc");

  public static final double MIN_TOP_GATE = 0.5;
  public static final double MAX_LOC_MASS = 0.1;

  private final String label;

  Metric(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /**
   * M-Gen needs an image: on a text-only layer its probe would be the Rel probe again, so it is not
   * measured there (n/a) rather than counted twice.
   */
  public boolean appliesTo(LayerKind kind) {
    return kind.visual() || this != M_GEN;
  }

  /** The probe's visual key, or null on a text-only layer; T-Loc's is the no-image key. */
  public float[] visualKey(LayerKind kind, EditCase c, VisualKeys keys) {
    if (!kind.visual()) {
      return null;
    }
    return switch (this) {
      case REL, T_GEN -> keys.image(c.image());
      case M_GEN -> keys.rephrase(c.image(), c.imageRephrase());
      case M_LOC -> keys.image(c.mLoc());
      case T_LOC -> keys.noImage();
    };
  }

  /** The probe's text. */
  public String text(EditCase c) {
    return switch (this) {
      case REL, M_GEN -> c.src();
      case T_GEN -> c.rephrase();
      case M_LOC -> c.mLocQ();
      case T_LOC -> c.loc();
    };
  }

  /** Whether the routing result (gate descending, as the router returns it) passes. */
  public boolean success(List<RoutedEdit> routed, long ownId) {
    return switch (this) {
      case REL, T_GEN, M_GEN ->
          !routed.isEmpty()
              && routed.get(0).editId() == ownId
              && routed.get(0).gate() >= MIN_TOP_GATE;
      case M_LOC -> {
        double mass = 0;
        for (RoutedEdit r : routed) {
          mass += r.gate();
        }
        yield mass < MAX_LOC_MASS;
      }
      case T_LOC -> routed.isEmpty();
    };
  }
}
