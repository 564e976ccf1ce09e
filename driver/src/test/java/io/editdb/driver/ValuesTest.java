package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.SplittableRandom;
import org.h2.value.TypeInfo;
import org.h2.value.Value;
import org.h2.value.ValueArray;
import org.h2.value.ValueReal;
import org.junit.jupiter.api.Test;

/**
 * The driver's REAL values (made without H2's shared value cache, for speed) are the values H2's
 * own factory gives, float for float, and the keys it binds arrive in H2 as the same array.
 */
class ValuesTest {
  private static final float[] ODD = {
    0f,
    -0f,
    1f,
    -1f,
    Float.NaN,
    Float.MIN_VALUE,
    -Float.MIN_VALUE,
    Float.MIN_NORMAL,
    Float.MAX_VALUE,
    -Float.MAX_VALUE,
    Float.POSITIVE_INFINITY,
    Float.NEGATIVE_INFINITY,
    0.1f,
    Math.nextUp(1f),
    Math.nextDown(1f)
  };

  @Test
  void realValuesAreH2sOwnFloatForFloat() {
    SplittableRandom r = new SplittableRandom(7);
    float[] many = new float[ODD.length + 10_000];
    System.arraycopy(ODD, 0, many, 0, ODD.length);
    for (int i = ODD.length; i < many.length; i++) {
      many[i] = (float) r.nextGaussian() * (i % 3 == 0 ? 1e-30f : 1f);
    }
    for (float f : many) {
      Value ours = Values.real(f);
      ValueReal h2 = ValueReal.get(f);
      assertEquals(h2, ours, "value of " + f);
      assertEquals(
          Float.floatToRawIntBits(h2.getFloat()),
          Float.floatToRawIntBits(ours.getFloat()),
          "bits of " + f);
      assertEquals(h2.getType(), ours.getType());
    }
    // H2's constants where H2 has them; for the rest a value of our own, not the cached one
    assertSame(ValueReal.ZERO, Values.real(-0f));
    assertSame(ValueReal.ONE, Values.real(1f));
    float x = 0.4375f;
    assertSame(ValueReal.get(x), ValueReal.get(x), "H2 answers a repeated float from its cache");
    assertNotSame(ValueReal.get(x), Values.real(x), "the driver's value bypasses that cache");
  }

  @Test
  void boundKeysBecomeTheSameRealArrayAsH2MakesOfThem() {
    float[] key = {0.25f, -0f, 1f, 3.5e-20f, -7f};
    Value bound = (Value) Values.forH2(key);
    Float[] boxed = new Float[key.length];
    for (int i = 0; i < key.length; i++) {
      boxed[i] = key[i];
    }
    Value[] h2 = new Value[key.length];
    for (int i = 0; i < key.length; i++) {
      h2[i] = ValueReal.get(boxed[i]);
    }
    Value expected = ValueArray.get(TypeInfo.TYPE_REAL, h2, null);
    assertEquals(expected, bound);
    assertEquals(expected.getType(), bound.getType());
  }
}
