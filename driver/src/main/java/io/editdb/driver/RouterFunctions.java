package io.editdb.driver;

import io.editdb.query.ApplierConfig;
import io.editdb.query.Candidate;
import io.editdb.query.ExpertApplier;
import io.editdb.query.HostBinding;
import io.editdb.query.HostBindings;
import io.editdb.query.RouteQuery;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.query.TextEncoder;
import io.editdb.store.Layer;
import io.editdb.store.SqlFunctions;
import io.editdb.store.StoreException;
import java.util.List;

/**
 * Serves ROUTE, ROUTE_EXPLAIN and EMBED_TEXT of one store from its router and the encoder, and ASK
 * from the layer's host (through {@link HostBindings}) with an expert applier of this store,
 * created on the first ASK and closed with the store.
 */
final class RouterFunctions implements SqlFunctions.Provider, AutoCloseable {
  private final Router router;
  private ExpertApplier applier; // guarded by this
  private boolean closed; // guarded by this

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
  public SqlFunctions.Asked ask(String layerName, byte[] image, String question, Long version) {
    try {
      Layer layer = router.store().layer(layerName);
      HostBinding.Asked a =
          host(layer, "ASK")
              .ask(
                  layer,
                  router,
                  applier(),
                  List.of(new HostBinding.Question(image, question)),
                  version)
              .get(0);
      return new SqlFunctions.Asked(
          a.baseAnswer(),
          a.answer(),
          a.probability(),
          a.routed().stream().map(RoutedEdit::editId).toList(),
          a.touched());
    } catch (StoreException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      // inside H2 only a StoreException keeps its error code on the way out
      throw new StoreException(StoreException.Kind.INVALID_VALUE, e.getMessage(), e);
    }
  }

  @Override
  public List<SqlFunctions.Attributed> attribution(
      String layerName, byte[] image, String question, String answer) {
    try {
      return host(router.store().layer(layerName), "ATTRIBUTION")
          .attribution(image, question, answer)
          .stream()
          .map(
              a ->
                  new SqlFunctions.Attributed(
                      a.module(),
                      a.token(),
                      a.visual(),
                      a.integratedGradients(),
                      a.noise(),
                      a.box()))
          .toList();
    } catch (StoreException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      // inside H2 only a StoreException keeps its error code on the way out
      throw new StoreException(StoreException.Kind.INVALID_VALUE, e.getMessage(), e);
    }
  }

  /** The host a layer is bound to; {@code what} names the function for the error. */
  private static HostBinding.Host host(Layer layer, String what) {
    if (!layer.hasHost()) {
      throw new StoreException(
          StoreException.Kind.NO_HOST,
          what
              + " needs a layer bound to a"
              + " host model; layer "
              + layer.name()
              + " has none. Use a layer created with HOST"
              + " '<host>', MODULE '<layer>'");
    }
    return HostBindings.find(layer.host());
  }

  private synchronized ExpertApplier applier() {
    if (closed) {
      throw new StoreException(StoreException.Kind.UNAVAILABLE, "the store is closed; reconnect");
    }
    if (applier == null) {
      // One per store: the applier caches experts by edit id, which only a store makes unique.
      applier = ExpertApplier.create(ApplierConfig.defaults(), router.store()::weights);
    }
    return applier;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (applier != null) {
      applier.close();
      applier = null;
    }
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
