package io.editdb.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The compact binary form of keys and weights in H2 (never Java serialisation).
 *
 * <p>Format, version 1, all little-endian:
 *
 * <pre>
 * offset size  field
 * 0      4     magic 'E','D','V','1' (0x45 0x44 0x56 0x31): EditDB vector, format 1
 * 4      4     dtype code: 0 = f32 (IEEE binary32), 1 = f16 (IEEE binary16), 2 = bf16
 * 8      4     n, the number of values
 * 12     n*w   the values, w = 4 for f32, 2 for f16 and bf16
 * </pre>
 *
 * A reader that meets another magic refuses the blob rather than guessing.
 */
public final class VectorCodec {
  static final int HEADER = 12;
  private static final int MAGIC = 0x31564445; // "EDV1" read little-endian

  private VectorCodec() {}

  /** Encodes f32 values as f32. */
  public static byte[] encode(float[] values) {
    return encode(values, WeightDtype.F32);
  }

  /** Encodes values in the given dtype; f16 and bf16 round to nearest even. */
  public static byte[] encode(float[] values, WeightDtype dtype) {
    ByteBuffer buf =
        ByteBuffer.allocate(HEADER + values.length * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(MAGIC).putInt(dtype.code).putInt(values.length);
    switch (dtype) {
      case F32 -> {
        for (float v : values) {
          buf.putFloat(v);
        }
      }
      case F16 -> {
        for (float v : values) {
          buf.putShort(Float.floatToFloat16(v));
        }
      }
      case BF16 -> {
        for (float v : values) {
          buf.putShort(toBf16(v));
        }
      }
    }
    return buf.array();
  }

  /** Wraps raw little-endian f16 or bf16 bits (as they come from a model) without conversion. */
  public static byte[] encodeRaw(short[] bits, WeightDtype dtype) {
    if (dtype == WeightDtype.F32) {
      throw new IllegalArgumentException("raw 16-bit values cannot be f32; use encode(float[])");
    }
    ByteBuffer buf = ByteBuffer.allocate(HEADER + bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(MAGIC).putInt(dtype.code).putInt(bits.length);
    for (short s : bits) {
      buf.putShort(s);
    }
    return buf.array();
  }

  /** True if the bytes start with this format's header. */
  public static boolean isVector(byte[] blob) {
    return blob != null
        && blob.length >= HEADER
        && ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN).getInt(0) == MAGIC;
  }

  public static WeightDtype dtype(byte[] blob) {
    return WeightDtype.ofCode(header(blob).getInt(4));
  }

  public static int length(byte[] blob) {
    return header(blob).getInt(8);
  }

  /** Decodes to f32 whatever the stored dtype. */
  public static float[] decode(byte[] blob) {
    ByteBuffer buf = header(blob);
    WeightDtype dtype = WeightDtype.ofCode(buf.getInt(4));
    int n = buf.getInt(8);
    if (blob.length != HEADER + (long) n * dtype.bytes) {
      throw new IllegalArgumentException(
          "vector blob is truncated: header says "
              + n
              + " values of "
              + dtype
              + " but it has "
              + (blob.length - HEADER)
              + " value bytes");
    }
    float[] out = new float[n];
    buf.position(HEADER);
    switch (dtype) {
      case F32 -> buf.asFloatBuffer().get(out);
      case F16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float.float16ToFloat(buf.getShort());
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
        }
      }
    }
    return out;
  }

  private static ByteBuffer header(byte[] blob) {
    if (!isVector(blob)) {
      throw new IllegalArgumentException(
          "not an EditDB vector blob (expected magic EDV1 and a 12-byte header)");
    }
    return ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Round-to-nearest-even conversion to bfloat16; NaN stays NaN. */
  static short toBf16(float v) {
    int bits = Float.floatToRawIntBits(v);
    if (Float.isNaN(v)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }
}
