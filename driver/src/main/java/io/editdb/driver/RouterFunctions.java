package io.editdb.driver;

import io.editdb.query.Candidate;
import io.editdb.query.RouteQuery;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.query.TextEncoder;
import io.editdb.store.SqlFunctions;
import io.editdb.store.StoreException;
import java.util.List;

/** Serves ROUTE, ROUTE_EXPLAIN and EMBED_TEXT of one store from its router and the encoder. */
final class RouterFunctions implements SqlFunctions.Provider {
  private final Router router;

  RouterFunctions(Router router) {
    this.router = router;
  }

  @Override
  public List<SqlFunctions.Routed> route(
      String layer, float[] visualKey, float[] textKey, Long version, Double visualThreshold) {
    List<RoutedEdit> routed =
        router.route(new RouteQuery(layer, visualKey, textKey, version, visualThreshold));
    return routed.stream()
        .map(r -> new SqlFunctions.Routed(r.editId(), r.visualScore(), r.textScore(), r.gate()))
        .toList();
  }

  @Override
  public List<SqlFunctions.Explained> explain(
      String layer, float[] visualKey, float[] textKey, Long version, Double visualThreshold) {
    List<Candidate> all =
        router.explain(new RouteQuery(layer, visualKey, textKey, version, visualThreshold));
    return all.stream()
        .map(
            c ->
                new SqlFunctions.Explained(
                    c.editId(),
                    c.visualScore(),
                    c.passedFilter(),
                    c.textScore(),
                    c.gate(),
                    c.kept(),
                    c.why()))
        .toList();
  }

  @Override
  public float[] embed(String text) {
    try {
      return TextEncoder.shared().encode(text);
    } catch (IllegalArgumentException e) {
      // inside H2 only a StoreException keeps its error code on the way out
      throw new StoreException(StoreException.Kind.INVALID_VALUE, e.getMessage(), e);
    }
  }
}
