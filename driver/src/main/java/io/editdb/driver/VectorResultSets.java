package io.editdb.driver;

import io.editdb.store.VectorCodec;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Result sets that read EditDB's vector blobs (keys and weights, stored as {@link VectorCodec}
 * bytes) as floats: {@code getObject(i, float[].class)}, {@code getObject(i, Float[].class)} and
 * {@code getArray(i)} decode them, whatever dtype they were stored in. Everything else is the
 * underlying result set's; {@code getObject(i)} still gives the bytes, as the column type says.
 *
 * <p>A dynamic proxy rather than a hand-written class: ResultSet has some 190 methods and only five
 * differ, so a proxy keeps the wrapper to what it changes (HikariCP generates its proxies for the
 * same reason).
 */
final class VectorResultSets {
  private VectorResultSets() {}

  /** Wraps {@code target}; {@code h2} makes the arrays getArray returns. */
  static ResultSet wrap(ResultSet target, Statement owner, Connection h2) {
    if (target == null) {
      return null;
    }
    return (ResultSet)
        Proxy.newProxyInstance(
            VectorResultSets.class.getClassLoader(),
            new Class<?>[] {ResultSet.class},
            new Handler(target, owner, h2));
  }

  private record Handler(ResultSet target, Statement owner, Connection h2)
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
          if (n == 2
              && args[1] instanceof Class<?> type
              && (type == float[].class || type == Float[].class)) {
            float[] f = floats(target.getObject(column(args[0])), args[0]);
            return type == float[].class ? f : box(f);
          }
        }
        case "getArray" -> {
          if (n == 1) {
            Object raw = target.getObject(column(args[0]));
            if (raw instanceof Blob blob) {
              raw = blob.getBytes(1, (int) blob.length());
            }
            if (raw instanceof byte[] b && VectorCodec.isVector(b)) {
              return h2.createArrayOf("REAL", box(VectorCodec.decode(b)));
            }
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
        }
        case "isWrapperFor" -> {
          if (n == 1 && args[0] instanceof Class<?> iface && iface.isInstance(proxy)) {
            return true;
          }
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

    /** The column index of an index or a label. */
    private int column(Object indexOrLabel) throws SQLException {
      return indexOrLabel instanceof Integer i ? i : target.findColumn((String) indexOrLabel);
    }
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
