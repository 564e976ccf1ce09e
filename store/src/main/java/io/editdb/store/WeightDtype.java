package io.editdb.store;

/** The element type expert weights are stored in. They keep the dtype they came in. */
public enum WeightDtype {
  F32(0, 4),
  F16(1, 2),
  BF16(2, 2);

  final int code;
  final int bytes;

  WeightDtype(int code, int bytes) {
    this.code = code;
    this.bytes = bytes;
  }

  static WeightDtype ofCode(int code) {
    for (WeightDtype d : values()) {
      if (d.code == code) {
        return d;
      }
    }
    throw new IllegalArgumentException("unknown vector dtype code " + code);
  }

  /** Parses "f32", "F16", "bf16" (case-insensitive). */
  public static WeightDtype parse(String s) {
    for (WeightDtype d : values()) {
      if (d.name().equalsIgnoreCase(s)) {
        return d;
      }
    }
    throw new StoreException(
        StoreException.Kind.INVALID_VALUE,
        "weight dtype must be one of F32, F16, BF16; dtype=" + s + ". Use one of those names.");
  }
}
