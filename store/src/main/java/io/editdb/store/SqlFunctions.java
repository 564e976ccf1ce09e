package io.editdb.store;

import static io.editdb.store.StoreException.Kind.INVALID_VALUE;
import static io.editdb.store.StoreException.Kind.UNAVAILABLE;
import static io.editdb.store.StoreException.Kind.UNKNOWN_VERSION;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.h2.value.Value;
import org.h2.value.ValueArray;
import org.h2.value.ValueNull;

/**
 * The Java behind the store's own SQL function, declared in migration {@code
 * V2__sql_functions.sql}:
 *
 * <pre>{@code
 * SELECT id, prompt FROM EDITS_AT(12);                               -- edits active at version 12
 * }</pre>
 *
 * <p>{@code ROUTE}, {@code ROUTE_EXPLAIN}, {@code EMBED_TEXT}, {@code ASK} and {@code ATTRIBUTION}
 * belong to the query layer (module {@code query}, which depends on this one, not the other way
 * round): when a router attaches to a store ({@code io.editdb.query.SqlRouting.attach}) it points
 * those aliases at its own functions. The migrations, which cannot change once applied, declared
 * them here; H2 needs a method of each name to declare an alias, so the placeholders below remain,
 * and refuse every call on a store no router serves.
 */
public final class SqlFunctions {
  private static final String COLUMN_LIST_URL = "jdbc:columnlist:connection";

  private SqlFunctions() {}

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

  // ---- placeholders of the query layer's functions ----

  /** {@code ROUTE} on a store no router serves: refused. */
  public static ResultSet route(Connection c, Value... args) {
    throw unattached("ROUTE");
  }

  /** {@code ROUTE_EXPLAIN} on a store no router serves: refused. */
  public static ResultSet routeExplain(Connection c, Value... args) {
    throw unattached("ROUTE_EXPLAIN");
  }

  /** {@code ASK} on a store no router serves: refused. */
  public static ResultSet ask(Connection c, Value... args) {
    throw unattached("ASK");
  }

  /** {@code ATTRIBUTION} on a store no router serves: refused. */
  public static ResultSet attribution(Connection c, Value... args) {
    throw unattached("ATTRIBUTION");
  }

  /** {@code EMBED_TEXT} on a store no router serves: refused. */
  public static Float[] embedText(Connection c, String text) {
    throw unattached("EMBED_TEXT");
  }

  private static StoreException unattached(String function) {
    return new StoreException(
        UNAVAILABLE,
        function
            + " needs EditDB's router and text encoder,"
            + " which the EditDB JDBC driver attaches; connect with jdbc:editdb:<directory> or"
            + " jdbc:editdb:mem:<name>, or attach them with io.editdb.query.SqlRouting.attach");
  }

  /** True when H2 only asks for the result's columns (at prepare time, arguments maybe unset). */
  private static boolean isColumnList(Connection c) throws SQLException {
    return COLUMN_LIST_URL.equals(c.getMetaData().getURL());
  }

  // ---- VECTOR_ARRAY ----

  /**
   * {@code VECTOR_ARRAY(v)}: a key or weights column (an EditDB vector blob, whatever its dtype) or
   * a REAL ARRAY, as a REAL ARRAY; NULL for NULL. A pure function of its argument.
   */
  public static Float[] vectorArray(Value v) {
    float[] f = vector(v, "VECTOR_ARRAY's argument");
    if (f == null) {
      return null;
    }
    Float[] out = new Float[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = f[i];
    }
    return out;
  }

  /**
   * A key or weights argument of an SQL function, given as an SQL array of numbers or as an EditDB
   * vector blob (a key or weights column), as floats; null for NULL. Refusals are {@link
   * StoreException}s of kind INVALID_VALUE naming {@code what}.
   *
   * @param v the argument as H2 passes it
   * @param what how the error names the argument ("visual key")
   * @return its floats, or null for SQL NULL
   */
  public static float[] vector(Value v, String what) {
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
      try {
        return VectorCodec.decode(bytes);
      } catch (IllegalArgumentException e) { // a truncated blob: the caller's value
        throw new StoreException(INVALID_VALUE, what + " is " + e.getMessage(), e);
      }
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
