package io.editdb.bench.lifelong;

import io.editdb.query.Candidate;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.store.KeyHit;
import io.editdb.store.Layer;
import java.util.ArrayList;
import java.util.List;

/**
 * The router's decision re-evaluated from the raw key hits of one search. The sweep needs this:
 * hits do not depend on the routing parameters, so one search per probe serves hundreds of
 * settings, where building a layer per setting would re-insert every edit hundreds of times. It is
 * io.editdb.query.Router#decide itself, not a copy; {@link Sweep} still checks on every run that
 * the real Router's routes agree.
 */
final class RoutingMath {
  private RoutingMath() {}

  /** The kept edits for the hits (best primary similarity first), by gate descending. */
  static List<RoutedEdit> route(Layer layer, List<KeyHit> hits) {
    List<RoutedEdit> kept = new ArrayList<>();
    for (Candidate c : Router.decide(layer, hits, layer.visualThreshold())) {
      if (c.kept()) {
        kept.add(new RoutedEdit(c.editId(), c.visualScore(), c.textScore(), c.gate()));
      }
    }
    return kept;
  }

  /** docs/design.md section 3, step 2: the router's own gate math. */
  static double[] gates(Layer layer, double[] s) {
    return Router.gates(layer, s);
  }
}
