package io.editdb.store;

import static io.editdb.store.StoreException.Kind.INVALID_VALUE;
import static io.editdb.store.StoreException.Kind.UNAVAILABLE;
import static io.editdb.store.StoreException.Kind.UNKNOWN_VERSION;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.value.Value;
import org.h2.value.ValueArray;
import org.h2.value.ValueNull;

/**
 * The Java behind EditDB's SQL functions, declared in migration {@code V2__sql_functions.sql}:
 *
 * <pre>{@code
 * SELECT id, prompt FROM EDITS_AT(12);                               -- edits active at version 12
 * SELECT * FROM ROUTE('l21', ARRAY[...], EMBED_TEXT('what colour is the bus?'));
 * SELECT * FROM ROUTE_EXPLAIN('l21', ?, ?, 12, 0.5);                -- every candidate, and why
 * }</pre>
 *
 * H2 calls these static methods. {@code EDITS_AT} needs only the tables. {@code ROUTE}, {@code
 * ROUTE_EXPLAIN} and {@code EMBED_TEXT} need the router and the text encoder, which live in module
 * {@code query} (which depends on this one, not the other way round); so they dispatch to a {@link
 * Provider} that module attaches to the store ({@code io.editdb.query.SqlRouting}), and the route
 * runs store to query and back, never through the driver. A store no router serves gets a clear
 * error from those functions.
 *
 * <p>Key arguments may be SQL arrays ({@code ARRAY[0.1, 0.2]}, a {@code REAL ARRAY} parameter) or
 * EditDB vector blobs (the {@code visual_key} / {@code text_key} columns), so an edit's own keys
 * can be routed: {@code ROUTE(e.layer, e.visual_key, e.text_key)}. That is why the parameters are
 * H2 {@link Value}s: H2 converts an SQL argument to no single Java type that covers both.
 */
public final class SqlFunctions {

  /**
   * Routing, encoding and the host's answers for the SQL functions of one store, implemented by
   * module {@code query} ({@code io.editdb.query.SqlRouting}), which attaches one to every store a
   * router serves. Each method builds its function's whole result from the query layer's own
   * records; with {@code columnsOnly} (H2 preparing the statement) it returns the columns alone.
   */
  public interface Provider {
    /** {@code ROUTE}: the chosen edits, gate descending. */
    ResultSet route(
        String layer,
        float[] visualKey,
        float[] textKey,
        Long version,
        Double visualThreshold,
        boolean columnsOnly);

    /** {@code ROUTE_EXPLAIN}: every candidate, with why it was kept or dropped. */
    ResultSet explain(
        String layer,
        float[] visualKey,
        float[] textKey,
        Long version,
        Double visualThreshold,
        boolean columnsOnly);

    /** The built-in text encoder's key for the text. */
    float[] embed(String text);

    /** {@code ASK}: the layer's host answering a question about an image (PNG bytes, or null). */
    ResultSet ask(String layer, byte[] image, String question, Long version, boolean columnsOnly);

    /** {@code ATTRIBUTION}: where an answer (null: the host's own) rests, per module and token. */
    ResultSet attribution(
        String layer, byte[] image, String question, String answer, boolean columnsOnly);
  }

  // Keyed by H2's Database object: the one identity shared by the store's pool and by the
  // connection H2 hands to a function (whose URL is only "jdbc:default:connection"). Weak, so a
  // store closed without unregistering does not leak.
  private static final Map<Object, Provider> PROVIDERS =
      Collections.synchronizedMap(new WeakHashMap<>());

  private static final String COLUMN_LIST_URL = "jdbc:columnlist:connection";

  private SqlFunctions() {}

  /** Serves ROUTE, ROUTE_EXPLAIN and EMBED_TEXT of this store from {@code provider}. */
  public static void register(EditStore store, Provider provider) {
    try (Connection c = store.readConnection()) {
      PROVIDERS.put(database(c), provider);
    } catch (SQLException e) {
      throw store.sqlFailure("registering the SQL functions", e);
    }
  }

  /** Stops serving the store's functions (before it closes). */
  public static void unregister(EditStore store) {
    try (Connection c = store.readConnection()) {
      PROVIDERS.remove(database(c));
    } catch (SQLException | RuntimeException e) {
      // a closed store has nothing left to unregister; the weak map drops it
    }
  }

  private static Object database(Connection c) throws SQLException {
    JdbcConnection h2 = c.unwrap(JdbcConnection.class);
    if (h2.getSession() instanceof SessionLocal local) {
      return local.getDatabase();
    }
    throw new SQLException("EditDB's SQL functions run only in embedded H2 sessions");
  }

  // ---- EDITS_AT ----

  /** {@code EDITS_AT(version)}: the edits active at the version, as they were inserted. */
  public static ResultSet editsAt(Connection c, Long version) throws SQLException {
    boolean template = isColumnList(c);
    long v;
    if (template || version == null) {
      if (!template) {
        throw new StoreException(
            INVALID_VALUE,
            "EDITS_AT needs a version; version=null. Use"
                + " e.g. EDITS_AT((SELECT MAX(version) FROM versions))");
      }
      v = -1; // H2 only wants the columns now; -1 matches no span
    } else {
      v = version;
      long latest;
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(version), 0) FROM versions")) {
        rs.next();
        latest = rs.getLong(1);
      }
      if (v < 0 || v > latest) {
        throw new StoreException(
            UNKNOWN_VERSION,
            "version "
                + v
                + " does not exist; versions"
                + " run from 0 (empty) to "
                + latest
                + ". Use a version in that range");
      }
    }
    // The row as inserted: status and retired_* describe today, not version v, so they are left
    // out. H2 reads the returned result set into the query's own result, so it may stay open.
    PreparedStatement ps =
        c.prepareStatement(
            "SELECT e.id, e.layer, e.prompt, e.target, e.image_ref, e.visual_key, e.text_key,"
                + " e.expert_a, e.expert_b, e.weight_dtype, e.rank, e.alpha, e.author, e.reason,"
                + " e.created_version, e.created_at, e.token_mask FROM edits e WHERE EXISTS (SELECT 1 FROM"
                + " edit_spans s WHERE s.edit_id = e.id AND "
                + Rows.ACTIVE_AT
                + ") ORDER BY e.id");
    ps.setLong(1, v);
    ps.setLong(2, v);
    ps.closeOnCompletion();
    return ps.executeQuery();
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
    return provider(c, "ROUTE")
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
    return provider(c, "ROUTE_EXPLAIN")
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
    return provider(c, "ASK")
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
    return provider(c, "ATTRIBUTION").attribution(layer, png, question, answer, columns);
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

  // ---- EMBED_TEXT ----

  /** {@code EMBED_TEXT(text)}: the built-in encoder's key, a REAL ARRAY (NULL for NULL). */
  public static Float[] embedText(Connection c, String text) throws SQLException {
    if (text == null) {
      return null;
    }
    float[] key = provider(c, "EMBED_TEXT").embed(text);
    Float[] out = new Float[key.length];
    for (int i = 0; i < key.length; i++) {
      out[i] = key[i];
    }
    return out;
  }

  // ---- VECTOR_ARRAY ----

  /**
   * {@code VECTOR_ARRAY(v)}: a key or weights column (an EditDB vector blob, whatever its dtype) or
   * a REAL ARRAY, as a REAL ARRAY; NULL for NULL. A pure function of its argument.
   */
  public static Float[] vectorArray(Value v) {
    float[] f;
    try {
      f = floats(v, "VECTOR_ARRAY's argument");
    } catch (IllegalArgumentException e) {
      throw new StoreException(
          INVALID_VALUE, "VECTOR_ARRAY's argument is a damaged vector blob: " + e.getMessage());
    }
    if (f == null) {
      return null;
    }
    Float[] out = new Float[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = f[i];
    }
    return out;
  }

  // ---- helpers ----

  /** True when H2 only asks for the result's columns (at prepare time, arguments maybe unset). */
  private static boolean isColumnList(Connection c) throws SQLException {
    return COLUMN_LIST_URL.equals(c.getMetaData().getURL());
  }

  private static Provider provider(Connection c, String function) throws SQLException {
    Provider p = PROVIDERS.get(database(c));
    if (p == null) {
      throw new StoreException(
          UNAVAILABLE,
          function
              + " needs EditDB's router and text encoder,"
              + " which the EditDB JDBC driver attaches; connect with jdbc:editdb:<directory> or"
              + " jdbc:editdb:mem:<name>, or attach them with io.editdb.query.SqlRouting.attach");
    }
    return p;
  }

  /** A key from an SQL array of numbers or an EditDB vector blob; null for NULL. */
  static float[] floats(Value v, String what) {
    if (v == null || v == ValueNull.INSTANCE) {
      return null;
    }
    if (v instanceof ValueArray array) {
      Value[] list = array.getList();
      float[] out = new float[list.length];
      for (int i = 0; i < out.length; i++) {
        Value x = list[i];
        if (x == ValueNull.INSTANCE) {
          throw new StoreException(
              INVALID_VALUE, what + " must hold numbers; " + what + "[" + i + "] is NULL");
        }
        out[i] = x.getFloat();
      }
      return out;
    }
    int type = v.getValueType();
    if (type == Value.VARBINARY || type == Value.BINARY || type == Value.BLOB) {
      byte[] bytes = v.getBytesNoCopy();
      if (!VectorCodec.isVector(bytes)) {
        throw new StoreException(
            INVALID_VALUE,
            what
                + " is binary but not an EditDB vector blob;"
                + " pass a REAL ARRAY or a key column such as edits.visual_key");
      }
      return VectorCodec.decode(bytes);
    }
    throw new StoreException(
        INVALID_VALUE,
        what
            + " must be a REAL ARRAY or an EditDB vector"
            + " blob; it is "
            + v.getType()
            + ". Write ARRAY[0.1, 0.2, ...] or bind a float[]");
  }
}
