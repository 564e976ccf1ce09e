package io.editdb.bench.lifelong;

import java.util.Arrays;

/** Latency samples in nanoseconds; percentiles in milliseconds (nearest rank). */
final class Latency {
  private long[] samples = new long[256];
  private int n;

  void add(long nanos) {
    if (n == samples.length) {
      samples = Arrays.copyOf(samples, n * 2);
    }
    samples[n++] = nanos;
  }

  int count() {
    return n;
  }

  double pctMs(double p) {
    if (n == 0) {
      return Double.NaN;
    }
    long[] s = Arrays.copyOf(samples, n);
    Arrays.sort(s);
    return s[Math.max(0, Math.min(n - 1, (int) Math.ceil(p * n) - 1))] / 1e6;
  }
}
