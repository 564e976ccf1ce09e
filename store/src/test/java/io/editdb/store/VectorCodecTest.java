package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The stored form of keys and weights, byte for byte: the format is on disk in every store. */
class VectorCodecTest {

  @Test
  void theHeaderIsMagicDtypeAndCountLittleEndian() {
    byte[] b = VectorCodec.encode(new float[] {1f, -2f}, WeightDtype.BF16);
    assertArrayEquals(
        new byte[] {'E', 'D', 'V', '1', 2, 0, 0, 0, 2, 0, 0, 0, (byte) 0x80, 0x3f, 0, (byte) 0xc0},
        b);
    assertEquals(WeightDtype.BF16, VectorCodec.dtype(b));
    assertEquals(2, VectorCodec.length(b));
    assertTrue(VectorCodec.isVector(b));
  }

  @Test
  void f32RoundTripsExactlyAndHalfPrecisionsRoundToNearestEven() {
    Random r = new Random(17);
    float[] v = new float[257];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * 3);
    }
    v[0] = Float.NaN;
    v[1] = Float.NEGATIVE_INFINITY;
    v[2] = -0f;
    float[] f32 = VectorCodec.decode(VectorCodec.encode(v));
    for (int i = 0; i < v.length; i++) {
      assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(f32[i]), "f32 " + i);
    }
    float[] f16 = VectorCodec.decode(VectorCodec.encode(v, WeightDtype.F16));
    float[] bf16 = VectorCodec.decode(VectorCodec.encode(v, WeightDtype.BF16));
    assertTrue(Float.isNaN(f16[0]) && Float.isNaN(bf16[0]), "NaN stays NaN");
    assertEquals(Float.NEGATIVE_INFINITY, bf16[1]);
    for (int i = 3; i < v.length; i++) {
      assertEquals(Float.float16ToFloat(Float.floatToFloat16(v[i])), f16[i], "f16 " + i);
      // bf16 keeps 7 bits of mantissa (8 with the implicit one): rounded to nearest, the
      // relative error is at most half a unit in the last place, 2^-8
      assertTrue(Math.abs(bf16[i] - v[i]) <= Math.abs(v[i]) / 256 + 1e-30, "bf16 " + i);
    }
    // round to nearest even: 1 + 2^-8 lies halfway between two bf16 values and goes to 1
    assertEquals(
        1f,
        VectorCodec.decode(VectorCodec.encode(new float[] {1f + 0x1p-8f}, WeightDtype.BF16))[0]);
    short[] raw = {0x3f80, (short) 0xc000};
    assertArrayEquals(
        new float[] {1f, -2f}, VectorCodec.decode(VectorCodec.encodeRaw(raw, WeightDtype.BF16)));
  }

  @Test
  void otherBytesAreRefusedRatherThanGuessed() {
    byte[] good = VectorCodec.encode(new float[] {1f, 2f, 3f});
    assertFalse(VectorCodec.isVector(null));
    assertFalse(VectorCodec.isVector(new byte[] {'E', 'D', 'V'}));
    byte[] otherMagic = good.clone();
    otherMagic[3] = '2';
    assertFalse(VectorCodec.isVector(otherMagic));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VectorCodec.decode(otherMagic));
    assertTrue(e.getMessage().contains("EDV1"), e.getMessage());
    byte[] truncated = Arrays.copyOf(good, good.length - 1);
    e = assertThrows(IllegalArgumentException.class, () -> VectorCodec.decode(truncated));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> VectorCodec.encodeRaw(new short[] {1}, WeightDtype.F32));
  }
}
