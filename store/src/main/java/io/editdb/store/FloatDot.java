package io.editdb.store;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of a query with float keys read in place from a memory-mapped index file
 * (little-endian, as Lucene writes them), one key or four at a time, with the JDK's vector API.
 * Four at once overlaps the cache misses of keys read from random places (a graph search's
 * candidates), and reading in place saves the copy Lucene's {@code vectorValue} makes of every key.
 * One key alone and each of four give the same float, bit for bit: the same lanes, the same order
 * of additions.
 *
 * <p>The memory is a {@code java.lang.foreign.MemorySegment}, a preview API in Java 21, the release
 * EditDB compiles for: it is held as an Object and read through method handles, which the JIT
 * inlines like direct calls (Lucene reads its memory maps the same way on 21). Loaded only when
 * {@link StoredKeys} finds the vector module.
 */
final class FloatDot {
  private FloatDot() {}

  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = FLOATS.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** FloatVector.fromMemorySegment(species, segment, offset, order), the segment as an Object. */
  private static final MethodHandle LOAD;

  /** The same with a mask: the lanes of a key's tail. */
  private static final MethodHandle LOAD_MASKED;

  static {
    MethodHandle load = null;
    MethodHandle masked = null;
    try {
      Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
      load = fromMemorySegment(segment);
      masked = fromMemorySegment(segment, VectorMask.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      load = null; // a JVM without it: StoredKeys copies keys instead
      masked = null;
    }
    LOAD = load;
    LOAD_MASKED = masked;
  }

  /**
   * FloatVector.fromMemorySegment(species, segment, offset, order, more...), its segment parameter
   * taken as an Object.
   */
  private static MethodHandle fromMemorySegment(Class<?> segment, Class<?>... more)
      throws ReflectiveOperationException {
    MethodType type =
        MethodType.methodType(
                FloatVector.class, VectorSpecies.class, segment, long.class, ByteOrder.class)
            .appendParameterTypes(more);
    MethodHandle found =
        MethodHandles.publicLookup().findStatic(FloatVector.class, "fromMemorySegment", type);
    return found.asType(type.changeParameterType(1, Object.class));
  }

  /** Whether keys can be read in place here. */
  static boolean usable() {
    return LOAD != null && LOAD_MASKED != null;
  }

  private static FloatVector load(Object keys, long at) {
    try {
      return (FloatVector) LOAD.invokeExact(FLOATS, keys, at, LE);
    } catch (Throwable t) {
      throw rethrown(t);
    }
  }

  private static FloatVector load(Object keys, long at, VectorMask<Float> m) {
    try {
      return (FloatVector) LOAD_MASKED.invokeExact(FLOATS, keys, at, LE, m);
    } catch (Throwable t) {
      throw rethrown(t);
    }
  }

  private static RuntimeException rethrown(Throwable t) {
    if (t instanceof RuntimeException r) {
      throw r; // e.g. the reader was closed under the search: IllegalStateException
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException(t);
  }

  /**
   * The lanes' sum, lane 0 first. Not {@code reduceLanes(ADD)}: its order of additions is left to
   * the implementation, and the JIT's differs from the interpreter's, so the same key would score
   * differently in the last bit before and after a method is compiled.
   */
  private static float sum(FloatVector v) {
    float[] lanes = v.toArray();
    float r = 0;
    for (float x : lanes) {
      r += x;
    }
    return r;
  }

  /** The dot product of q with the key of q.length floats at byte offset {@code at}. */
  static float dot(Object keys, long at, float[] q) {
    int n = q.length;
    int bound = n - n % LANES;
    FloatVector s = FloatVector.zero(FLOATS);
    int i = 0;
    for (; i < bound; i += LANES) {
      s = load(keys, at + 4L * i).fma(FloatVector.fromArray(FLOATS, q, i), s);
    }
    if (i < n) {
      VectorMask<Float> m = FLOATS.indexInRange(i, n);
      s = load(keys, at + 4L * i, m).fma(FloatVector.fromArray(FLOATS, q, i, m), s);
    }
    return sum(s);
  }

  /**
   * The dot product of q with a key already on the heap, the same float, bit for bit, as {@link
   * #dot(Object, long, float[])} of the same key in memory (a store's keys are in memory maps on
   * disk and on the heap in a {@code mem:} store, and both must answer alike).
   */
  static float dot(float[] key, float[] q) {
    int n = q.length;
    int bound = n - n % LANES;
    FloatVector s = FloatVector.zero(FLOATS);
    int i = 0;
    for (; i < bound; i += LANES) {
      s = FloatVector.fromArray(FLOATS, key, i).fma(FloatVector.fromArray(FLOATS, q, i), s);
    }
    if (i < n) {
      VectorMask<Float> m = FLOATS.indexInRange(i, n);
      s = FloatVector.fromArray(FLOATS, key, i, m).fma(FloatVector.fromArray(FLOATS, q, i, m), s);
    }
    return sum(s);
  }

  /**
   * The dot products of q with the four keys at byte offsets a, b, c and d into {@code
   * out[o..o+4)}, in one loop so that their memory reads overlap.
   */
  static void dot4(Object keys, long a, long b, long c, long d, float[] q, float[] out, int o) {
    int n = q.length;
    int bound = n - n % LANES;
    FloatVector s0 = FloatVector.zero(FLOATS);
    FloatVector s1 = s0;
    FloatVector s2 = s0;
    FloatVector s3 = s0;
    int i = 0;
    for (; i < bound; i += LANES) {
      FloatVector qv = FloatVector.fromArray(FLOATS, q, i);
      long at = 4L * i;
      s0 = load(keys, a + at).fma(qv, s0);
      s1 = load(keys, b + at).fma(qv, s1);
      s2 = load(keys, c + at).fma(qv, s2);
      s3 = load(keys, d + at).fma(qv, s3);
    }
    if (i < n) {
      VectorMask<Float> m = FLOATS.indexInRange(i, n);
      FloatVector qv = FloatVector.fromArray(FLOATS, q, i, m);
      long at = 4L * i;
      s0 = load(keys, a + at, m).fma(qv, s0);
      s1 = load(keys, b + at, m).fma(qv, s1);
      s2 = load(keys, c + at, m).fma(qv, s2);
      s3 = load(keys, d + at, m).fma(qv, s3);
    }
    out[o] = sum(s0);
    out[o + 1] = sum(s1);
    out[o + 2] = sum(s2);
    out[o + 3] = sum(s3);
  }
}
