package io.editdb.bench.lifelong;

import io.editdb.query.RoutedEdit;
import io.editdb.store.KeyHit;
import io.editdb.store.Layer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The router's decision (hard filter, soft routing, min_gate, top_k) re-evaluated from the raw
 * key hits of one search. The sweep needs this: hits do not depend on the routing parameters, so
 * one search per probe serves hundreds of settings, where building a layer per setting would
 * re-insert every edit hundreds of times. It mirrors io.editdb.query.Router#decide (same float
 * casts, same order, same tie-break); {@link Sweep} checks on every run that the real Router
 * agrees with it, so a change to the router that this copy misses is reported, not hidden.
 */
final class RoutingMath {
  private RoutingMath() {}

  /** The kept edits for the hits (best primary similarity first), by gate descending. */
  static List<RoutedEdit> route(Layer layer, List<KeyHit> hits) {
    double threshold = layer.visualThreshold();
    double vScale = layer.visualScale();
    double tScale = layer.textScale();
    List<KeyHit> passed = new ArrayList<>();
    for (KeyHit h : hits) {
      float visual = (float) (vScale * h.primary());
      if (visual >= threshold && passed.size() < layer.maxCandidates()) {
        passed.add(h);
      }
    }
    if (passed.isEmpty()) {
      return List.of();
    }
    double[] s = new double[passed.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = tScale * passed.get(i).text();
    }
    double[] g = gates(layer, s);
    List<RoutedEdit> scored = new ArrayList<>(s.length);
    for (int i = 0; i < s.length; i++) {
      KeyHit h = passed.get(i);
      scored.add(new RoutedEdit(h.editId(), (float) (vScale * h.primary()), (float) s[i],
          (float) g[i]));
    }
    scored.sort(Comparator.comparingDouble((RoutedEdit r) -> -r.gate())
        .thenComparingLong(RoutedEdit::editId));
    List<RoutedEdit> kept = new ArrayList<>();
    for (RoutedEdit r : scored) {
      if (r.gate() >= layer.minGate() && (layer.topK() == 0 || kept.size() < layer.topK())) {
        kept.add(r);
      }
    }
    return kept;
  }

  /** DESIGN.md section 3, step 2: the router's own gate math. */
  static double[] gates(Layer layer, double[] s) {
    return io.editdb.query.Router.gates(layer, s);
  }
}
