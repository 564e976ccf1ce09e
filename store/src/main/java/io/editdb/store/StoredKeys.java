package io.editdb.store;

import java.io.IOException;
import org.apache.lucene.codecs.lucene95.HasIndexSlice;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.store.MemorySegmentAccessInput;
import org.apache.lucene.util.VectorUtil;

/**
 * One segment's stored keys of one field, scored exactly against a query by vector ordinal. Where
 * the keys are Lucene's off-heap values on a memory-mapped file and this JVM has the vector module,
 * they are read in place and four at a time ({@link FloatDot}); else each through the values' own
 * copy. A key gets the same float however it is read and whichever method scores it (FloatDot's
 * arithmetic with the vector module, Lucene's dot product without), so a scan and a graph search's
 * rescoring agree, and so do a store on disk and one in memory. Not thread-safe, as the values it
 * reads are not.
 */
final class StoredKeys {
  /** Whether this JVM has the vector module (Lucene's vector code and EditDB's need it). */
  static boolean vectorModule() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  /** Whether keys are scored with FloatDot's arithmetic (read in place where they are mapped). */
  private static final boolean VECTOR = vectorModule();

  private static final boolean IN_PLACE = VECTOR && FloatDot.usable();

  private final FloatVectorValues values;
  private final Object mapped; // a MemorySegment (see FloatDot); null: through vectorValue
  private final long keyBytes;

  StoredKeys(FloatVectorValues values) throws IOException {
    this.values = values;
    this.keyBytes = 4L * values.dimension();
    this.mapped = IN_PLACE ? mapped(values, keyBytes) : null;
  }

  private static Object mapped(FloatVectorValues values, long keyBytes) throws IOException {
    if (values instanceof HasIndexSlice h
        && h.getSlice() instanceof MemorySegmentAccessInput in
        && values.size() > 0) {
      return in.segmentSliceOrNull(0, values.size() * keyBytes); // null if it spans two maps
    }
    return null;
  }

  /** Whether the keys are read in place (from a memory map) rather than copied. */
  boolean inPlace() {
    return mapped != null;
  }

  /** The dot product of q with the key of vector ordinal {@code ord}. */
  float dot(int ord, float[] q) throws IOException {
    if (mapped != null) {
      return FloatDot.dot(mapped, ord * keyBytes, q);
    }
    float[] key = values.vectorValue(ord);
    return VECTOR ? FloatDot.dot(key, q) : VectorUtil.dotProduct(key, q);
  }

  /** {@code out[i]} = the dot product of q with the key of {@code ords[i]}, for i < n. */
  void dots(int[] ords, int n, float[] q, float[] out) throws IOException {
    int i = 0;
    if (mapped != null) {
      for (; i + 4 <= n; i += 4) {
        FloatDot.dot4(
            mapped,
            ords[i] * keyBytes,
            ords[i + 1] * keyBytes,
            ords[i + 2] * keyBytes,
            ords[i + 3] * keyBytes,
            q,
            out,
            i);
      }
    }
    for (; i < n; i++) {
      out[i] = dot(ords[i], q);
    }
  }
}
