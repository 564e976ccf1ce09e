package io.editdb.driver;

import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Locale;
import java.util.Set;

/**
 * How EditDB presents a column to tools: an edit's keys and weights ({@link Kind#VECTOR}, stored as
 * {@link io.editdb.store.VectorCodec} bytes) are {@code float[]} values of SQL type {@code REAL
 * ARRAY}; text stored as {@code CHARACTER LARGE OBJECT} ({@link Kind#TEXT}: prompts, targets,
 * reasons) is a {@code String} of type {@code CHARACTER VARYING}. The same rule types result sets,
 * their metadata and {@code DatabaseMetaData.getColumns}.
 */
final class ColumnKinds {
  enum Kind {
    PLAIN,
    VECTOR,
    TEXT
  }

  /** The vector columns of edits (and of EDITS_AT's rows). */
  static final Set<String> VECTOR_COLUMNS =
      Set.of("VISUAL_KEY", "TEXT_KEY", "EXPERT_A", "EXPERT_B");

  /** Schemas whose vector columns are EditDB's; "" for a function's result (EDITS_AT). */
  private static final Set<String> EDITDB_SCHEMAS = Set.of("EDITDB", "PUBLIC", "");

  static final String VECTOR_TYPE_NAME = "REAL ARRAY";
  static final String TEXT_TYPE_NAME = "CHARACTER VARYING";

  private ColumnKinds() {}

  /**
   * The kind of a column from its schema, name and H2 type: a binary column named like an edit's
   * keys or weights in EditDB's own relations is a vector; any character large object is text.
   */
  static Kind of(String schema, String column, int sqlType) {
    if (sqlType == Types.CLOB || sqlType == Types.NCLOB) {
      return Kind.TEXT;
    }
    boolean binary =
        sqlType == Types.BLOB
            || sqlType == Types.VARBINARY
            || sqlType == Types.BINARY
            || sqlType == Types.LONGVARBINARY;
    if (binary
        && column != null
        && VECTOR_COLUMNS.contains(column.toUpperCase(Locale.ROOT))
        && EDITDB_SCHEMAS.contains(schema == null ? "" : schema.toUpperCase(Locale.ROOT))) {
      return Kind.VECTOR;
    }
    return Kind.PLAIN;
  }

  /** The kinds of a result's columns, indexed from 1. */
  static Kind[] of(ResultSetMetaData md) throws SQLException {
    Kind[] kinds = new Kind[md.getColumnCount() + 1];
    kinds[0] = Kind.PLAIN;
    for (int i = 1; i < kinds.length; i++) {
      kinds[i] = of(md.getSchemaName(i), md.getColumnName(i), md.getColumnType(i));
    }
    return kinds;
  }

  static int sqlType(Kind k, int h2Type) {
    return switch (k) {
      case VECTOR -> Types.ARRAY;
      case TEXT -> Types.VARCHAR;
      case PLAIN -> h2Type;
    };
  }

  static String typeName(Kind k, String h2Name) {
    return switch (k) {
      case VECTOR -> VECTOR_TYPE_NAME;
      case TEXT -> TEXT_TYPE_NAME;
      case PLAIN -> h2Name;
    };
  }

  static String className(Kind k, String h2Name) {
    return switch (k) {
      case VECTOR -> float[].class.getName();
      case TEXT -> String.class.getName();
      case PLAIN -> h2Name;
    };
  }
}
