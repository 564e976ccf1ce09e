package io.editdb.query;

import static io.editdb.store.StoreException.Kind.INVALID_VALUE;
import static io.editdb.store.StoreException.Kind.UNAVAILABLE;

import io.editdb.store.EditStore;
import io.editdb.store.SqlFunctions;
import io.editdb.store.StoreException;
import java.lang.ref.WeakReference;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.WeakHashMap;
import org.h2.engine.Database;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.value.Value;
import org.h2.value.ValueNull;

/**
 * The Java behind the SQL functions of the query layer, which {@link SqlRouting#attach} points the
 * store's aliases at: {@code ROUTE}, {@code ROUTE_EXPLAIN}, {@code EMBED_TEXT}, {@code ASK} and
 * {@code ATTRIBUTION}. Each converts H2's arguments and hands them to the store's {@link
 * SqlRouting}, which routes through the store's index and builds the result: H2 to query to store
 * and back, each once, never through the driver.
 *
 * <pre>{@code
 * SELECT * FROM ROUTE('l21', ARRAY[...], EMBED_TEXT('what colour is the bus?'));
 * SELECT * FROM ROUTE_EXPLAIN('l21', ?, ?, 12, 0.5);                -- every candidate, and why
 * }</pre>
 *
 * <p>Key arguments may be SQL arrays ({@code ARRAY[0.1, 0.2]}, a {@code REAL ARRAY} parameter) or
 * EditDB vector blobs (the {@code visual_key} / {@code text_key} columns), so an edit's own keys
 * can be routed: {@code ROUTE(e.layer, e.visual_key, e.text_key)}. That is why the parameters are
 * H2 {@link Value}s: H2 converts an SQL argument to no single Java type that covers both.
 */
public final class RoutingFunctions {
  /** Java of each function, by alias name; the overloads differ in their number of arguments. */
  static final Map<String, String> ALIASES =
      Map.of(
          "ROUTE", "route",
          "ROUTE_EXPLAIN", "routeExplain",
          "EMBED_TEXT", "embedText",
          "ASK", "ask",
          "ATTRIBUTION", "attribution");

  /*
   * The one process-wide lookup from an H2 connection to the store's SqlRouting. H2 calls only
   * static methods, with a connection whose URL is "jdbc:default:connection", so a function can
   * find its store only from that connection's H2 Database, the one identity it shares with the
   * store's pool. Owned here, by the layer that points the aliases at these methods; weak both
   * ways (a closed or forgotten store's Database is collected, and the SqlRouting lives only as
   * long as whoever attached it holds it), so it never keeps a store alive.
   */
  private static final Map<Database, WeakReference<SqlRouting>> ATTACHED = new WeakHashMap<>();

  /*
   * Declared DETERMINISTIC: H2 parses and prepares a statement again on every execution when it
   * calls a table function that is not (Parser.readTableFunction sets recompileAlways), which cost
   * a prepared ROUTE about a third of its time on top of routing. What H2 does with the flag
   * otherwise is reuse a query's previous rows, which the store turns off
   * (OPTIMIZE_REUSE_RESULTS=0), so a route still sees every version as it is announced.
   */
  static final java.util.Set<String> DETERMINISTIC = java.util.Set.of("ROUTE", "ROUTE_EXPLAIN");

  private static final String COLUMN_LIST_URL = "jdbc:columnlist:connection";

  private RoutingFunctions() {}

  /** Serves the store's functions from {@code routing} and points its aliases here. */
  static void attach(EditStore store, SqlRouting routing) {
    try (Connection c = store.readConnection()) {
      Database db = database(c);
      synchronized (ATTACHED) {
        ATTACHED.put(db, new WeakReference<>(routing));
      }
      pointAliases(c);
    } catch (SQLException e) {
      throw new StoreException(
          UNAVAILABLE, "cannot attach the router to the store: " + e.getMessage(), e);
    }
  }

  /** Stops serving {@code routing}'s store (before it closes); another attachment stays. */
  static void detach(EditStore store, SqlRouting routing) {
    try (Connection c = store.readConnection()) {
      Database db = database(c);
      synchronized (ATTACHED) {
        WeakReference<SqlRouting> ref = ATTACHED.get(db);
        if (ref != null && ref.get() == routing) {
          ATTACHED.remove(db);
        }
      }
    } catch (SQLException | RuntimeException e) {
      // a closed store has nothing left to detach; the weak map drops it
    }
  }

  /**
   * The store's migrations declare the aliases on the store's placeholders (which refuse every
   * call); a store served by a router gets them pointed here, once: an alias already pointing here
   * is left as it is. DDL on the store's own administrator connection, which commits by itself.
   */
  private static void pointAliases(Connection c) throws SQLException {
    String here = RoutingFunctions.class.getName();
    try (Statement st = c.createStatement()) {
      for (Map.Entry<String, String> a : ALIASES.entrySet()) {
        String target = here + "." + a.getValue();
        boolean deterministic = DETERMINISTIC.contains(a.getKey());
        boolean current;
        try (ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*) FROM INFORMATION_SCHEMA.ROUTINES WHERE ROUTINE_SCHEMA = 'PUBLIC'"
                    + " AND ROUTINE_NAME = '"
                    + a.getKey()
                    + "' AND EXTERNAL_NAME = '"
                    + target
                    + "' AND IS_DETERMINISTIC = '"
                    + (deterministic ? "YES" : "NO")
                    + "'")) {
          rs.next();
          current = rs.getLong(1) > 0;
        }
        if (!current) {
          st.execute("DROP ALIAS IF EXISTS PUBLIC." + a.getKey());
          st.execute(
              "CREATE FORCE ALIAS PUBLIC."
                  + a.getKey()
                  + (deterministic ? " DETERMINISTIC" : "")
                  + " FOR '"
                  + target
                  + "'");
        }
      }
    }
  }

  private static Database database(Connection c) throws SQLException {
    JdbcConnection h2 = c.unwrap(JdbcConnection.class);
    if (h2.getSession() instanceof SessionLocal local) {
      return local.getDatabase();
    }
    throw new SQLException("EditDB's SQL functions run only in embedded H2 sessions");
  }

  private static SqlRouting routing(Connection c, String function) throws SQLException {
    Database db = database(c);
    SqlRouting r;
    synchronized (ATTACHED) {
      WeakReference<SqlRouting> ref = ATTACHED.get(db);
      r = ref == null ? null : ref.get();
    }
    if (r == null) {
      throw new StoreException(
          UNAVAILABLE,
          function
              + " needs EditDB's router and text encoder,"
              + " which the EditDB JDBC driver attaches; connect with jdbc:editdb:<directory> or"
              + " jdbc:editdb:mem:<name>, or attach them with io.editdb.query.SqlRouting.attach");
    }
    return r;
  }

  // ---- ROUTE / ROUTE_EXPLAIN ----

  /** {@code ROUTE(layer, visual_key, text_key)} at the latest version. */
  public static ResultSet route(Connection c, String layer, Value visual, Value text)
      throws SQLException {
    return route(c, layer, visual, text, null, null);
  }

  /** {@code ROUTE(layer, visual_key, text_key, version)}. */
  public static ResultSet route(Connection c, String layer, Value visual, Value text, Long version)
      throws SQLException {
    return route(c, layer, visual, text, version, null);
  }

  /** {@code ROUTE(layer, visual_key, text_key, version, visual_threshold)}. */
  public static ResultSet route(
      Connection c, String layer, Value visual, Value text, Long version, Double threshold)
      throws SQLException {
    boolean columns = isColumnList(c);
    return routing(c, "ROUTE")
        .route(
            layer,
            columns ? null : floats(visual, "visual key"),
            columns ? null : floats(text, "text key"),
            version,
            threshold,
            columns);
  }

  /** {@code ROUTE_EXPLAIN(layer, visual_key, text_key)} at the latest version. */
  public static ResultSet routeExplain(Connection c, String layer, Value visual, Value text)
      throws SQLException {
    return routeExplain(c, layer, visual, text, null, null);
  }

  /** {@code ROUTE_EXPLAIN(layer, visual_key, text_key, version)}. */
  public static ResultSet routeExplain(
      Connection c, String layer, Value visual, Value text, Long version) throws SQLException {
    return routeExplain(c, layer, visual, text, version, null);
  }

  /** {@code ROUTE_EXPLAIN(layer, visual_key, text_key, version, visual_threshold)}. */
  public static ResultSet routeExplain(
      Connection c, String layer, Value visual, Value text, Long version, Double threshold)
      throws SQLException {
    boolean columns = isColumnList(c);
    return routing(c, "ROUTE_EXPLAIN")
        .explain(
            layer,
            columns ? null : floats(visual, "visual key"),
            columns ? null : floats(text, "text key"),
            version,
            threshold,
            columns);
  }

  // ---- ASK ----

  /** {@code ASK(layer, image, question)} at the latest version. */
  public static ResultSet ask(Connection c, String layer, Value image, String question)
      throws SQLException {
    return ask(c, layer, image, question, null);
  }

  /** {@code ASK(layer, image, question, version)}: one row, what the model says at the version. */
  public static ResultSet ask(
      Connection c, String layer, Value image, String question, Long version) throws SQLException {
    boolean columns = isColumnList(c);
    if (!columns && question == null) {
      throw new StoreException(
          INVALID_VALUE, "ASK needs a question; question=null. Give the question as text");
    }
    return routing(c, "ASK")
        .ask(layer, columns ? null : bytes(image, "image"), question, version, columns);
  }

  // ---- ATTRIBUTION ----

  /** {@code ATTRIBUTION(layer, image, question)}: where the host's own answer rests. */
  public static ResultSet attribution(Connection c, String layer, Value image, String question)
      throws SQLException {
    return attribution(c, layer, image, question, null);
  }

  /**
   * {@code ATTRIBUTION(layer, image, question, answer)}: one row per module and token position of
   * the layer's host, with the attribution of {@code answer} to it.
   */
  public static ResultSet attribution(
      Connection c, String layer, Value image, String question, String answer) throws SQLException {
    boolean columns = isColumnList(c);
    byte[] png = columns ? null : bytes(image, "image");
    if (!columns && question == null) {
      throw new StoreException(
          INVALID_VALUE, "ATTRIBUTION needs a question; question=null. Give the question as text");
    }
    if (!columns && png == null) {
      throw new StoreException(
          INVALID_VALUE,
          "ATTRIBUTION needs an image; image=null. Give the"
              + " picture as PNG bytes: attribution says which of its tokens an answer rests on");
    }
    return routing(c, "ATTRIBUTION").attribution(layer, png, question, answer, columns);
  }

  // ---- EMBED_TEXT ----

  /** {@code EMBED_TEXT(text)}: the built-in encoder's key, a REAL ARRAY (NULL for NULL). */
  public static Float[] embedText(Connection c, String text) throws SQLException {
    if (text == null) {
      return null;
    }
    float[] key = routing(c, "EMBED_TEXT").embed(text);
    Float[] out = new Float[key.length];
    for (int i = 0; i < key.length; i++) {
      out[i] = key[i];
    }
    return out;
  }

  // ---- arguments ----

  /** True when H2 only asks for the result's columns (at prepare time, arguments maybe unset). */
  private static boolean isColumnList(Connection c) throws SQLException {
    return COLUMN_LIST_URL.equals(c.getMetaData().getURL());
  }

  /** Bytes of a binary argument; null for NULL. */
  private static byte[] bytes(Value v, String what) {
    if (v == null || v == ValueNull.INSTANCE) {
      return null;
    }
    int type = v.getValueType();
    if (type == Value.VARBINARY || type == Value.BINARY || type == Value.BLOB) {
      return v.getBytes();
    }
    throw new StoreException(
        INVALID_VALUE,
        what
            + " must be binary (PNG bytes); it is "
            + v.getType()
            + ". Bind a byte[] or pass X'89504E47...'");
  }

  private static float[] floats(Value v, String what) {
    return SqlFunctions.vector(v, what);
  }
}
