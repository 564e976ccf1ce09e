package io.editdb.driver;

import io.editdb.store.VectorCodec;
import io.editdb.store.WeightDtype;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.SQLException;
import java.util.Collection;
import org.h2.value.TypeInfo;
import org.h2.value.Value;
import org.h2.value.ValueArray;
import org.h2.value.ValueReal;

/**
 * Converts the values bound to EditDB statements ({@code setObject}, {@code setArray}, ARRAY
 * literals, ...) to what the store takes, refusing the wrong type with the column's name.
 */
final class Values {
  /** Marks a parameter that was never set. */
  static final Object UNSET =
      new Object() {
        @Override
        public String toString() {
          return "<unset>";
        }
      };

  private Values() {}

  static String text(Object v, String what) throws SQLException {
    if (v == null || v instanceof String) {
      return (String) v;
    }
    if (v instanceof Clob clob) {
      long n = clob.length();
      return n == 0 ? "" : clob.getSubString(1, (int) n);
    }
    if (v instanceof CharSequence || v instanceof Character) {
      return v.toString();
    }
    throw wrongType(what, "a string", v);
  }

  static Long integer(Object v, String what) throws SQLException {
    if (v == null) {
      return null;
    }
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    BigDecimal d = decimal(v, what);
    try {
      return d.longValueExact();
    } catch (ArithmeticException e) {
      throw ErrorCode.INVALID_VALUE.exception(
          what + " must be an integer; " + what + "=" + v + ". Give a whole number");
    }
  }

  static Double real(Object v, String what) throws SQLException {
    if (v == null) {
      return null;
    }
    if (v instanceof Double || v instanceof Float) {
      return ((Number) v).doubleValue();
    }
    return decimal(v, what).doubleValue();
  }

  private static BigDecimal decimal(Object v, String what) throws SQLException {
    try {
      if (v instanceof BigDecimal d) {
        return d;
      }
      if (v instanceof BigInteger b) {
        return new BigDecimal(b);
      }
      if (v instanceof Double || v instanceof Float) {
        double d = ((Number) v).doubleValue();
        if (!Double.isFinite(d)) {
          throw ErrorCode.INVALID_VALUE.exception(
              what + " must be a finite number; " + what + "=" + d);
        }
        return BigDecimal.valueOf(d);
      }
      if (v instanceof Number n) {
        return new BigDecimal(n.toString());
      }
      if (v instanceof String s) {
        return new BigDecimal(s.trim());
      }
    } catch (NumberFormatException e) {
      throw ErrorCode.INVALID_VALUE.exception(what + " must be a number; " + what + "='" + v + "'");
    }
    throw wrongType(what, "a number", v);
  }

  /** A key or weights as floats: float[], double[], Float[], Number[], List, SQL ARRAY, blob. */
  static float[] floats(Object v, String what) throws SQLException {
    if (v == null) {
      return null;
    }
    if (v instanceof float[] f) {
      return f;
    }
    if (v instanceof double[] d) {
      float[] out = new float[d.length];
      for (int i = 0; i < d.length; i++) {
        out[i] = (float) d[i];
      }
      return out;
    }
    if (v instanceof Array a) {
      return floats(a.getArray(), what);
    }
    if (v instanceof Blob blob) {
      return floats(blob.getBytes(1, (int) blob.length()), what);
    }
    if (v instanceof Collection<?> c) {
      return floats(c.toArray(), what);
    }
    if (v instanceof byte[] b) {
      if (!VectorCodec.isVector(b)) {
        throw wrongType(what, "floats (float[], a REAL ARRAY) or a VectorCodec blob", v);
      }
      try {
        return VectorCodec.decode(b);
      } catch (IllegalArgumentException e) { // a truncated blob: the caller's value
        throw ErrorCode.INVALID_VALUE.exception(what + " is " + e.getMessage());
      }
    }
    if (v instanceof Object[] o) {
      float[] out = new float[o.length];
      for (int i = 0; i < o.length; i++) {
        if (!(o[i] instanceof Number n)) {
          throw ErrorCode.INVALID_VALUE.exception(
              what + " must hold numbers; " + what + "[" + i + "]=" + o[i]);
        }
        out[i] = n.floatValue();
      }
      return out;
    }
    throw wrongType(what, "floats (float[], a REAL ARRAY) or a VectorCodec blob", v);
  }

  /**
   * Token positions (an edit's {@code token_mask}): an {@code int[]}, a {@code long[]}, an INTEGER
   * ARRAY ({@code ARRAY[1, 2, 5]}) or a list of whole numbers; null for NULL. The store checks the
   * rule (at least one, none negative, none twice).
   */
  static int[] positions(Object v, String what) throws SQLException {
    if (v == null || v instanceof int[]) {
      return (int[]) v;
    }
    if (v instanceof long[] l) {
      return positions(java.util.Arrays.stream(l).boxed().toArray(), what);
    }
    if (v instanceof double[] d) {
      return positions(java.util.Arrays.stream(d).boxed().toArray(), what);
    }
    if (v instanceof float[] f) { // the dialect reads ARRAY[...] literals as floats
      Object[] o = new Object[f.length];
      for (int i = 0; i < f.length; i++) {
        o[i] = f[i];
      }
      return positions(o, what);
    }
    if (v instanceof Array a) {
      return positions(a.getArray(), what);
    }
    if (v instanceof Collection<?> c) {
      return positions(c.toArray(), what);
    }
    if (v instanceof Object[] o) {
      int[] out = new int[o.length];
      for (int i = 0; i < o.length; i++) {
        if (!(o[i] instanceof Number n)
            || n.doubleValue() != Math.rint(n.doubleValue())
            || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
          throw ErrorCode.INVALID_VALUE.exception(
              what
                  + " must hold whole token positions; "
                  + what
                  + "["
                  + i
                  + "]="
                  + o[i]
                  + "; give positions such as ARRAY[1, 2, 5]");
        }
        out[i] = n.intValue();
      }
      return out;
    }
    throw wrongType(what, "token positions (int[], an INTEGER ARRAY such as ARRAY[1, 2, 5])", v);
  }

  /**
   * Expert weights in {@link VectorCodec} form. Floats are stored in {@code dtype} (F32 when null).
   * Bytes are a VectorCodec blob (its header carries the dtype, which must agree with {@code dtype}
   * if given), or raw little-endian values of the given {@code dtype}.
   */
  static byte[] weights(Object v, WeightDtype dtype, String what) throws SQLException {
    if (v == null) {
      return null;
    }
    if (v instanceof Blob blob) {
      v = blob.getBytes(1, (int) blob.length());
    } else if (v instanceof InputStream in) {
      v = readAll(in, what);
    }
    if (v instanceof byte[] b) {
      if (VectorCodec.isVector(b)) {
        if (dtype != null && VectorCodec.dtype(b) != dtype) {
          throw ErrorCode.INVALID_VALUE.exception(
              what
                  + " is a "
                  + VectorCodec.dtype(b)
                  + " blob but weight_dtype says "
                  + dtype
                  + "; make them agree or leave"
                  + " weight_dtype out");
        }
        return b;
      }
      if (dtype == null) {
        throw wrongType(
            what,
            "floats, a VectorCodec blob, or raw little-endian bytes together"
                + " with a weight_dtype column",
            v);
      }
      return raw(b, dtype, what);
    }
    return VectorCodec.encode(floats(v, what), dtype == null ? WeightDtype.F32 : dtype);
  }

  private static byte[] raw(byte[] b, WeightDtype dtype, String what) throws SQLException {
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    if (dtype == WeightDtype.F32) {
      if (b.length % 4 != 0) {
        throw ErrorCode.INVALID_VALUE.exception(
            what
                + " has "
                + b.length
                + " bytes, not a"
                + " multiple of 4 as raw F32 values must be");
      }
      float[] f = new float[b.length / 4];
      buf.asFloatBuffer().get(f);
      return VectorCodec.encode(f);
    }
    if (b.length % 2 != 0) {
      throw ErrorCode.INVALID_VALUE.exception(
          what
              + " has "
              + b.length
              + " bytes, not a"
              + " multiple of 2 as raw "
              + dtype
              + " values must be");
    }
    short[] s = new short[b.length / 2];
    buf.asShortBuffer().get(s);
    return VectorCodec.encodeRaw(s, dtype);
  }

  static byte[] readAll(InputStream in, String what) throws SQLException {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw ErrorCode.INVALID_VALUE.exception(
          "reading the stream for " + what + " failed: " + e.getMessage());
    }
  }

  static String readAll(Reader in, String what) throws SQLException {
    try (in) {
      StringBuilder b = new StringBuilder();
      char[] buf = new char[8192];
      for (int n; (n = in.read(buf)) > 0; ) {
        b.append(buf, 0, n);
      }
      return b.toString();
    } catch (IOException e) {
      throw ErrorCode.INVALID_VALUE.exception(
          "reading the stream for " + what + " failed: " + e.getMessage());
    }
  }

  /**
   * A value bound to standard SQL, as the store's database takes it: H2 needs {@link #forH2};
   * PostgreSQL's driver binds Java's float and double arrays as SQL arrays itself (and cannot bind
   * H2's values).
   */
  static Object forDatabase(Object v, io.editdb.store.StoreConfig store) {
    return store.shared() ? v : forH2(v);
  }

  /**
   * A value for H2: primitive float and double arrays become boxed arrays, which H2 binds as SQL
   * ARRAYs (it would otherwise serialise them as Java objects).
   */
  static Object forH2(Object v) {
    if (v instanceof float[] f && f.length > 0) {
      // H2's own value, the REAL ARRAY it makes of a Float[]: built here without boxing each
      // float and without H2 working out the array's type element by element, which cost a
      // prepared ROUTE with two keys (896 floats) about a fifth of its time.
      Value[] out = new Value[f.length];
      for (int i = 0; i < f.length; i++) {
        out[i] = real(f[i]);
      }
      return ValueArray.get(TypeInfo.TYPE_REAL, out, null);
    }
    if (v instanceof float[] f) {
      return new Float[0];
    }
    if (v instanceof double[] d) {
      Double[] out = new Double[d.length];
      for (int i = 0; i < d.length; i++) {
        out[i] = d[i];
      }
      return out;
    }
    return v;
  }

  /**
   * H2's REAL value of a float, made directly. {@code ValueReal.get} passes every value through
   * H2's shared value cache (a lookup and a store in one array for all of the JVM's H2 values),
   * which was half of what SQL {@code ROUTE} cost over the Java router (JFR: 354 of 655 samples of
   * the SQL path outside routing, for the 896 floats of two keys). Values are immutable and
   * compared by content, so a value made here is the same to H2 as a cached one; 0 (also -0), 1 and
   * NaN still come from {@code ValueReal.get}, which answers them with its constants without the
   * cache. Falls back to {@code ValueReal.get} where H2's constructor cannot be reached (another H2
   * version).
   */
  static Value real(float f) {
    if (NEW_REAL == null || f == 0f || f == 1f || Float.isNaN(f)) {
      return ValueReal.get(f);
    }
    try {
      return (ValueReal) NEW_REAL.invokeExact(f);
    } catch (Throwable t) { // the constructor only stores the float
      throw new IllegalStateException("H2's ValueReal(float) failed", t);
    }
  }

  private static final MethodHandle NEW_REAL = realConstructor();

  private static MethodHandle realConstructor() {
    try {
      return MethodHandles.privateLookupIn(ValueReal.class, MethodHandles.lookup())
          .findConstructor(ValueReal.class, MethodType.methodType(void.class, float.class));
    } catch (ReflectiveOperationException | RuntimeException unreachable) {
      return null;
    }
  }

  private static SQLException wrongType(String what, String expected, Object v) {
    return ErrorCode.WRONG_TYPE.exception(
        what
            + " takes "
            + expected
            + "; it was given a "
            + v.getClass().getSimpleName()
            + ". Bind a value of that type");
  }
}
