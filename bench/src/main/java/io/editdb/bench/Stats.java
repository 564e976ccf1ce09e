package io.editdb.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

  double maxMs() {
    return pct(1.0);
  }

  double minMs() {
    return n == 0 ? Double.NaN : Arrays.stream(samples, 0, n).min().getAsLong() / 1e6;
  }

  /** How many samples lie in [fromMs, toMs). */
  int count(double fromMs, double toMs) {
    return (int)
        Arrays.stream(samples, 0, n).filter(s -> s / 1e6 >= fromMs && s / 1e6 < toMs).count();
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

  /** The machine's load averages (/proc/loadavg), for a benchmark's header; "unknown" elsewhere. */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
