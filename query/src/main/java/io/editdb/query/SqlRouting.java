package io.editdb.query;

import static io.editdb.store.StoreException.Kind.INVALID_VALUE;

import io.editdb.store.EditStore;
import io.editdb.store.Layer;
import io.editdb.store.StoreException;
import java.sql.ResultSet;
import java.sql.Types;
import java.util.List;
import org.h2.tools.SimpleResultSet;

/**
 * The query layer's side of EditDB's SQL functions for one store: {@code ROUTE} and {@code
 * ROUTE_EXPLAIN} from its {@link Router}, {@code EMBED_TEXT} from the text encoder, {@code ASK} and
 * {@code ATTRIBUTION} from the layer's host (through {@link HostBindings}) with an {@link
 * ExpertApplier} of this store, made on the first {@code ASK} and closed with this. Each result is
 * built here from the router's own records ({@link RoutedEdit}, {@link Candidate}); {@link
 * RoutingFunctions}, which H2's aliases call, converts H2's arguments and dispatches here.
 *
 * <pre>{@code
 * try (EditStore store = EditStore.open(config);
 *     SqlRouting sql = SqlRouting.attach(store, new Router(store))) {
 *   // SELECT * FROM ROUTE(...) on the store's connections now routes
 * }
 * }</pre>
 */
public final class SqlRouting implements AutoCloseable {
  private final EditStore store;
  private final Router router;
  private ExpertApplier applier; // guarded by this
  private boolean closed; // guarded by this

  private SqlRouting(EditStore store, Router router) {
    this.store = store;
    this.router = router;
  }

  /**
   * Serves the store's SQL functions from {@code router} until closed, pointing the store's aliases
   * at {@link RoutingFunctions} (once per store; they stay there).
   */
  public static SqlRouting attach(EditStore store, Router router) {
    if (router.store() != store) {
      throw new IllegalArgumentException(
          "the router serves another store; attach a router made with new Router(store)");
    }
    SqlRouting r = new SqlRouting(store, router);
    if (!store.config().shared()) {
      // H2 calls the functions inside the store; PostgreSQL cannot, so the driver calls them.
      RoutingFunctions.attach(store, r);
    }
    return r;
  }

  /** The router the functions route with. */
  public Router router() {
    return router;
  }

  /** {@code ROUTE}: the chosen edits, gate descending; the columns alone with columnsOnly. */
  ResultSet route(
      String layer,
      float[] visualKey,
      float[] textKey,
      Long version,
      Double visualThreshold,
      boolean columnsOnly) {
    SimpleResultSet rs = new SimpleResultSet();
    rs.addColumn("EDIT_ID", Types.BIGINT, 19, 0);
    rs.addColumn("VISUAL_SCORE", Types.REAL, 24, 0);
    rs.addColumn("TEXT_SCORE", Types.REAL, 24, 0);
    rs.addColumn("GATE", Types.REAL, 24, 0);
    if (!columnsOnly) {
      for (RoutedEdit r :
          router.route(new RouteQuery(layer, visualKey, textKey, version, visualThreshold))) {
        rs.addRow(r.editId(), r.visualScore(), r.textScore(), r.gate());
      }
    }
    return rs;
  }

  /** {@code ROUTE_EXPLAIN}: every candidate, with why it was kept or dropped. */
  ResultSet explain(
      String layer,
      float[] visualKey,
      float[] textKey,
      Long version,
      Double visualThreshold,
      boolean columnsOnly) {
    SimpleResultSet rs = new SimpleResultSet();
    rs.addColumn("EDIT_ID", Types.BIGINT, 19, 0);
    rs.addColumn("VISUAL_SCORE", Types.REAL, 24, 0);
    rs.addColumn("PASSED_FILTER", Types.BOOLEAN, 1, 0);
    rs.addColumn("TEXT_SCORE", Types.REAL, 24, 0);
    rs.addColumn("GATE", Types.REAL, 24, 0);
    rs.addColumn("KEPT", Types.BOOLEAN, 1, 0);
    rs.addColumn("WHY", Types.VARCHAR, 256, 0);
    if (!columnsOnly) {
      for (Candidate c :
          router.explain(new RouteQuery(layer, visualKey, textKey, version, visualThreshold))) {
        rs.addRow(
            c.editId(),
            c.visualScore(),
            c.passedFilter(),
            c.textScore(),
            c.gate(),
            c.kept(),
            c.why());
      }
    }
    return rs;
  }

  /**
   * Calls one of EditDB's table functions by name, with arguments already converted to Java (a
   * layer name, keys as {@code float[]}, images as PNG {@code byte[]}, a version as a number): for
   * a store whose SQL engine cannot call into Java (PostgreSQL), where the EditDB driver evaluates
   * the call itself. The rows are those the function returns on H2.
   */
  public ResultSet call(String function, java.util.List<Object> args) {
    String name = function.toUpperCase(java.util.Locale.ROOT);
    int n = args.size();
    int min = 3;
    int max = name.startsWith("ROUTE") ? 5 : 4;
    if (n < min || n > max) {
      throw new StoreException(
          INVALID_VALUE,
          name
              + " takes "
              + min
              + " to "
              + max
              + " arguments; it was given "
              + n
              + ". See the README's SQL functions");
    }
    String layer = (String) args.get(0);
    return switch (name) {
      case "ROUTE", "ROUTE_EXPLAIN" -> {
        float[] visual = (float[]) args.get(1);
        float[] text = (float[]) args.get(2);
        Long version = number(args, 3) == null ? null : number(args, 3).longValue();
        Double threshold = number(args, 4) == null ? null : number(args, 4).doubleValue();
        yield name.equals("ROUTE")
            ? route(layer, visual, text, version, threshold, false)
            : explain(layer, visual, text, version, threshold, false);
      }
      case "ASK" -> {
        if (args.get(2) == null) {
          throw new StoreException(
              INVALID_VALUE, "ASK needs a question; question=null. Give the question as text");
        }
        yield ask(
            layer,
            (byte[]) args.get(1),
            (String) args.get(2),
            number(args, 3) == null ? null : number(args, 3).longValue(),
            false);
      }
      case "ATTRIBUTION" -> {
        if (args.get(1) == null || args.get(2) == null) {
          throw new StoreException(
              INVALID_VALUE,
              "ATTRIBUTION needs an image and a question; give the picture as PNG bytes and the"
                  + " question as text");
        }
        yield attribution(
            layer,
            (byte[]) args.get(1),
            (String) args.get(2),
            n > 3 ? (String) args.get(3) : null,
            false);
      }
      default ->
          throw new StoreException(
              INVALID_VALUE,
              function
                  + " is not one of EditDB's table functions (ROUTE, ROUTE_EXPLAIN, ASK,"
                  + " ATTRIBUTION)");
    };
  }

  private static Number number(java.util.List<Object> args, int i) {
    return i < args.size() ? (Number) args.get(i) : null;
  }

  /** {@code EMBED_TEXT}: the built-in encoder's key for {@code text}. */
  public float[] embedText(String text) {
    return embed(text);
  }

  /** The built-in text encoder's key for the text. */
  float[] embed(String text) {
    return TextEncoder.shared().encode(text); // a text too long is a StoreException
  }

  /** {@code ASK}: the layer's host answering a question about an image (PNG bytes, or null). */
  ResultSet ask(
      String layerName, byte[] image, String question, Long version, boolean columnsOnly) {
    SimpleResultSet rs = new SimpleResultSet();
    rs.addColumn("BASE_ANSWER", Types.VARCHAR, 1024, 0);
    rs.addColumn("ANSWER", Types.VARCHAR, 1024, 0);
    rs.addColumn("PROBABILITY", Types.REAL, 24, 0);
    rs.addColumn("ROUTED", Types.VARCHAR, 1_000_000, 0);
    rs.addColumn("TOUCHED", Types.VARCHAR, 1_000_000, 0);
    if (columnsOnly) {
      return rs;
    }
    try {
      Layer layer = store.layer(layerName);
      HostBinding.Asked a =
          host(layer, "ASK")
              .ask(
                  layer,
                  router,
                  applier(),
                  List.of(new HostBinding.Question(image, question)),
                  version)
              .get(0);
      StringBuilder ids = new StringBuilder();
      for (RoutedEdit r : a.routed()) {
        ids.append(ids.isEmpty() ? "" : ",").append(r.editId());
      }
      StringBuilder touched = new StringBuilder();
      for (int t : a.touched()) {
        touched.append(touched.isEmpty() ? "" : ",").append(t);
      }
      rs.addRow(a.baseAnswer(), a.answer(), a.probability(), ids.toString(), touched.toString());
      return rs;
    } catch (IllegalArgumentException e) { // the host's refusal of the input (HostBinding.Host)
      throw HostBindings.refused(e);
    }
  }

  /** {@code ATTRIBUTION}: where an answer (null: the host's own) rests, per module and token. */
  ResultSet attribution(
      String layerName, byte[] image, String question, String answer, boolean columnsOnly) {
    SimpleResultSet rs = new SimpleResultSet();
    rs.addColumn("MODULE", Types.VARCHAR, 256, 0);
    rs.addColumn("TOKEN", Types.INTEGER, 10, 0);
    rs.addColumn("VISUAL", Types.BOOLEAN, 1, 0);
    rs.addColumn("IG", Types.REAL, 24, 0);
    rs.addColumn("NOISE", Types.REAL, 24, 0);
    rs.addColumn("X", Types.INTEGER, 10, 0);
    rs.addColumn("Y", Types.INTEGER, 10, 0);
    rs.addColumn("WIDTH", Types.INTEGER, 10, 0);
    rs.addColumn("HEIGHT", Types.INTEGER, 10, 0);
    if (columnsOnly) {
      return rs;
    }
    try {
      for (HostBinding.Attributed a :
          host(store.layer(layerName), "ATTRIBUTION").attribution(image, question, answer)) {
        int[] b = a.box();
        rs.addRow(
            a.module(),
            a.token(),
            a.visual(),
            a.integratedGradients(),
            a.noise(),
            b == null ? null : b[0],
            b == null ? null : b[1],
            b == null ? null : b[2],
            b == null ? null : b[3]);
      }
      return rs;
    } catch (IllegalArgumentException e) { // the host's refusal of the input (HostBinding.Host)
      throw HostBindings.refused(e);
    }
  }

  /** The host a layer is bound to; {@code what} names the function for the error. */
  private static HostBinding.Host host(Layer layer, String what) {
    if (!layer.hasHost()) {
      throw new StoreException(
          StoreException.Kind.NO_HOST,
          what
              + " needs a layer bound to a host model; layer "
              + layer.name()
              + " has none. Use a layer created with HOST '<host>', MODULE '<layer>'");
    }
    return HostBindings.find(layer.host());
  }

  private synchronized ExpertApplier applier() {
    if (closed) {
      throw new StoreException(StoreException.Kind.UNAVAILABLE, "the store is closed; reconnect");
    }
    if (applier == null) {
      // One per store: the applier caches experts by edit id, which only a store makes unique.
      applier = ExpertApplier.create(ApplierConfig.defaults(), store::weights);
    }
    return applier;
  }

  /** Stops serving the store's functions and frees the applier's tensors. */
  @Override
  public synchronized void close() {
    closed = true;
    RoutingFunctions.detach(store, this);
    if (applier != null) {
      applier.close();
      applier = null;
    }
  }
}
