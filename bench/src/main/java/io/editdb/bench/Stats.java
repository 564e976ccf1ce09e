package io.editdb.bench;

import java.util.Arrays;
import java.util.Locale;

/** Latency samples in nanoseconds, summarised as median and p99 in milliseconds. */
final class Stats {
  private long[] samples = new long[1024];
  private int n;

  void add(long nanos) {
    if (n == samples.length) {
      samples = Arrays.copyOf(samples, n * 2);
    }
    samples[n++] = nanos;
  }

  double medianMs() {
    return pct(0.50);
  }

  double p99Ms() {
    return pct(0.99);
  }

  double pct(double p) {
    if (n == 0) {
      return Double.NaN;
    }
    long[] s = Arrays.copyOf(samples, n);
    Arrays.sort(s);
    return s[Math.min(n - 1, (int) Math.ceil(p * n) - 1)] / 1e6;
  }

  static String fmt(String f, Object... args) {
    return String.format(Locale.ROOT, f, args);
  }

  /** Prints a row of a fixed-width table. */
  static void row(String f, Object... args) {
    System.out.println(fmt(f, args));
  }
}
