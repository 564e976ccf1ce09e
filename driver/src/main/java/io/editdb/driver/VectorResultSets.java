package io.editdb.driver;

import io.editdb.driver.ColumnKinds.Kind;
import io.editdb.store.VectorCodec;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Result sets that read EditDB's vector blobs (keys and weights, stored as {@link VectorCodec}
 * bytes) as floats: {@code getObject(i, float[].class)}, {@code getObject(i, Float[].class)} and
 * {@code getArray(i)} decode them, whatever dtype they were stored in. An edit's vector columns
 * ({@link ColumnKinds}) are {@code float[]} from {@code getObject(i)} too, typed {@code REAL ARRAY}
 * in the metadata, and text stored as a large object is a {@code String}, so that tools which read
 * {@code getObject} (bean and record mappers, shells) get values they know. Everything else is the
 * underlying result set's.
 *
 * <p>A dynamic proxy rather than a hand-written class: ResultSet has some 190 methods and only a
 * few differ, so a proxy keeps the wrapper to what it changes (HikariCP generates its proxies for
 * the same reason).
 */
final class VectorResultSets {
  private VectorResultSets() {}

  /** Wraps {@code target}; {@code h2} makes the arrays getArray returns. */
  static ResultSet wrap(ResultSet target, Statement owner, Connection h2) {
    return wrap(target, owner, h2, false);
  }

  /**
   * Wraps the rows of {@code DatabaseMetaData.getColumns}: their DATA_TYPE and TYPE_NAME say what
   * the columns read as ({@link ColumnKinds}).
   */
  static ResultSet wrapColumnListing(ResultSet target, Connection h2) {
    return wrap(target, null, h2, true);
  }

  private static ResultSet wrap(
      ResultSet target, Statement owner, Connection h2, boolean columnListing) {
    if (target == null) {
      return null;
    }
    return (ResultSet)
        Proxy.newProxyInstance(
            VectorResultSets.class.getClassLoader(),
            new Class<?>[] {ResultSet.class},
            new Handler(target, owner, h2, columnListing, new Columns()));
  }

  /** The columns' SQL type names and kinds, read once when first needed. */
  private static final class Columns {
    String[] typeNames;
    Kind[] kinds;
  }

  private record Handler(
      ResultSet target, Statement owner, Connection h2, boolean columnListing, Columns columns)
      implements InvocationHandler {
    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
      String name = m.getName();
      int n = args == null ? 0 : args.length;
      switch (name) {
        case "getStatement" -> {
          if (n == 0) {
            return owner;
          }
        }
        case "getObject" -> {
          if (n >= 1) {
            int col = column(args[0]);
            if (n == 2 && args[1] instanceof Class<?> type && !readable(type)) {
              // H2 turns bytes into any requested class by Java deserialisation
              throw notDeserialised(col, type.getName());
            }
            String typeName = typeName(col);
            if (typeName != null && typeName.contains("JAVA_OBJECT")) {
              boolean plain = n == 1 || args[1] == byte[].class || args[1] == Object.class;
              if (typeName.equals("JAVA_OBJECT") && plain) {
                return target.getBytes(col); // the serialised bytes, never the object
              }
              throw notDeserialised(col, typeName);
            }
            boolean plain = n == 1 || args[1] == Object.class;
            Kind kind = kind(col);
            if (kind == Kind.VECTOR && plain) {
              return vector(target.getObject(col));
            }
            if (kind == Kind.TEXT && (plain || args[1] == String.class)) {
              return target.getString(col);
            }
            if (columnListing && plain && listed(col) != null) {
              return listed(col);
            }
            if (n == 2 && args[1] == Object.class) {
              // H2 deserialises bytes that look serialised when asked for Object.class; the
              // column's own Java type is what JDBC means by it
              return target.getObject(col);
            }
          }
          if (n == 2
              && args[1] instanceof Class<?> type
              && (type == float[].class || type == Float[].class)) {
            float[] f = floats(target.getObject(column(args[0])), args[0]);
            return type == float[].class ? f : box(f);
          }
        }
        case "getArray" -> {
          if (n == 1) {
            String typeName = typeName(column(args[0]));
            if (typeName != null && typeName.contains("JAVA_OBJECT")) {
              throw notDeserialised(column(args[0]), typeName);
            }
            Object raw = target.getObject(column(args[0]));
            if (raw instanceof Blob blob) {
              raw = blob.getBytes(1, (int) blob.length());
            }
            if (raw instanceof byte[] b && VectorCodec.isVector(b)) {
              return h2.createArrayOf("REAL", box(VectorCodec.decode(b)));
            }
          }
        }
        case "getInt", "getShort", "getLong", "getString" -> {
          if (columnListing && n == 1 && listed(column(args[0])) instanceof Object v) {
            return switch (name) {
              case "getInt" -> ((Number) v).intValue();
              case "getShort" -> ((Number) v).shortValue();
              case "getLong" -> ((Number) v).longValue();
              default -> String.valueOf(v);
            };
          }
          if (name.equals("getString") && n == 1 && kind(column(args[0])) == Kind.VECTOR) {
            // as H2 writes a REAL ARRAY, not the blob's hex: what shells print
            Object v = vector(target.getObject(column(args[0])));
            return v instanceof float[] f
                ? java.util.Arrays.toString(f)
                : target.getString(column(args[0]));
          }
        }
        case "getMetaData" -> {
          if (n == 0) {
            return metaData(target.getMetaData(), kinds());
          }
        }
        case "close" -> {
          if (n == 0) {
            target.close();
            if (owner instanceof EditDbStatement s) {
              s.resultClosed();
            }
            return null;
          }
        }
        case "unwrap" -> {
          if (n == 1 && args[0] instanceof Class<?> iface && iface.isInstance(proxy)) {
            return proxy;
          }
          throw notAWrapper("ResultSet", n == 1 ? args[0] : null);
        }
        case "isWrapperFor" -> {
          return n == 1 && args[0] instanceof Class<?> iface && iface.isInstance(proxy);
        }
        case "equals" -> {
          if (n == 1) {
            return proxy == args[0];
          }
        }
        case "hashCode" -> {
          if (n == 0) {
            return System.identityHashCode(proxy);
          }
        }
        case "toString" -> {
          if (n == 0) {
            return "EditDbResultSet[" + target + "]";
          }
        }
        default -> {
          // delegated below
        }
      }
      try {
        return m.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }

    /** The SQL type name of a column, from metadata read once per result set. */
    private String typeName(int column) throws SQLException {
      if (columns.typeNames == null) {
        java.sql.ResultSetMetaData md = target.getMetaData();
        String[] names = new String[md.getColumnCount() + 1];
        for (int i = 1; i < names.length; i++) {
          names[i] = md.getColumnTypeName(i);
        }
        columns.typeNames = names;
      }
      String[] names = columns.typeNames;
      return column >= 1 && column < names.length ? names[column] : null;
    }

    private Kind[] kinds() throws SQLException {
      if (columns.kinds == null) {
        columns.kinds = ColumnKinds.of(target.getMetaData());
      }
      return columns.kinds;
    }

    private Kind kind(int column) throws SQLException {
      Kind[] k = kinds();
      return column >= 1 && column < k.length ? k[column] : Kind.PLAIN;
    }

    /**
     * In a getColumns listing, DATA_TYPE (5) and TYPE_NAME (6) of the current row as the column
     * reads; null for any other column, or a column that reads as H2 says.
     */
    private Object listed(int column) throws SQLException {
      if (column != 5 && column != 6) {
        return null;
      }
      Kind k = ColumnKinds.of(target.getString(2), target.getString(4), target.getInt(5));
      if (k == Kind.PLAIN) {
        return null;
      }
      return column == 5 ? ColumnKinds.sqlType(k, 0) : ColumnKinds.typeName(k, null);
    }

    /** The column index of an index or a label. */
    private int column(Object indexOrLabel) throws SQLException {
      return indexOrLabel instanceof Integer i ? i : target.findColumn((String) indexOrLabel);
    }
  }

  /**
   * The refusal of an unwrap to anything but EditDB's own object: H2's objects lead to H2's
   * connection, and Java serialisation to arbitrary classes.
   */
  static SQLException notAWrapper(String what, Object iface) {
    return ErrorCode.INVALID_VALUE.exception(
        "an EditDB "
            + what
            + " unwraps only to the interfaces it implements, not to "
            + (iface instanceof Class<?> c ? c.getName() : String.valueOf(iface))
            + "; use the JDBC interface itself");
  }

  private static final java.util.Set<Class<?>> LANG_VALUES =
      java.util.Set.of(
          Object.class,
          String.class,
          Boolean.class,
          Byte.class,
          Short.class,
          Integer.class,
          Long.class,
          Float.class,
          Double.class,
          Character.class,
          Number.class);

  /**
   * The classes {@code getObject(i, type)} may produce: JDBC's own value types. Any other class
   * would be made by Java deserialisation of the column's bytes.
   */
  private static boolean readable(Class<?> type) {
    if (type.isArray()) {
      return type.getComponentType().isPrimitive()
          || type == Float[].class
          || type == String[].class
          || type == Object[].class;
    }
    String pkg = type.getPackageName();
    return type.isPrimitive()
        || LANG_VALUES.contains(type)
        || pkg.equals("java.math")
        || pkg.equals("java.sql")
        || pkg.equals("java.time")
        || type == java.util.UUID.class
        || type == java.util.Date.class
        || type == java.util.Map.class;
  }

  private static SQLException notDeserialised(int column, String what) {
    return ErrorCode.WRONG_TYPE.exception(
        "column "
            + column
            + " would be read as "
            + what
            + " by Java deserialisation, which EditDB never does (it can run any class's code);"
            + " read the bytes with getBytes, or select a plain SQL type");
  }

  /** A vector column's value: its floats, or the bytes themselves if they are no vector blob. */
  private static Object vector(Object raw) throws SQLException {
    if (raw instanceof Blob blob) {
      raw = blob.getBytes(1, (int) blob.length());
    }
    if (raw instanceof byte[] b && VectorCodec.isVector(b)) {
      try {
        return VectorCodec.decode(b);
      } catch (IllegalArgumentException e) {
        return b; // truncated: the bytes as they are
      }
    }
    return raw;
  }

  /** A result's metadata with its columns typed by {@link ColumnKinds}. */
  private static ResultSetMetaData metaData(ResultSetMetaData md, Kind[] kinds) {
    return (ResultSetMetaData)
        Proxy.newProxyInstance(
            VectorResultSets.class.getClassLoader(),
            new Class<?>[] {ResultSetMetaData.class},
            (proxy, m, args) -> {
              int n = args == null ? 0 : args.length;
              Kind k =
                  n == 1 && args[0] instanceof Integer i && i >= 1 && i < kinds.length
                      ? kinds[i]
                      : Kind.PLAIN;
              switch (m.getName()) {
                case "getColumnType" -> {
                  if (k != Kind.PLAIN) {
                    return ColumnKinds.sqlType(k, 0);
                  }
                }
                case "getColumnTypeName" -> {
                  if (k != Kind.PLAIN) {
                    return ColumnKinds.typeName(k, null);
                  }
                }
                case "getColumnClassName" -> {
                  if (k != Kind.PLAIN) {
                    return ColumnKinds.className(k, null);
                  }
                }
                case "unwrap" -> {
                  if (n == 1 && args[0] instanceof Class<?> iface && iface.isInstance(proxy)) {
                    return proxy;
                  }
                  throw notAWrapper("ResultSetMetaData", n == 1 ? args[0] : null);
                }
                case "isWrapperFor" -> {
                  return n == 1 && args[0] instanceof Class<?> iface && iface.isInstance(proxy);
                }
                case "equals" -> {
                  return n == 1 && proxy == args[0];
                }
                case "hashCode" -> {
                  return System.identityHashCode(proxy);
                }
                default -> {
                  // delegated below
                }
              }
              try {
                return m.invoke(md, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  private static float[] floats(Object raw, Object column) throws SQLException {
    if (raw == null) {
      return null;
    }
    if (raw instanceof Array a) {
      raw = a.getArray();
    }
    return Values.floats(raw, "column " + column);
  }

  static Float[] box(float[] f) {
    if (f == null) {
      return null;
    }
    Float[] out = new Float[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = f[i];
    }
    return out;
  }
}
