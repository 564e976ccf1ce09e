package io.editdb.bench.answers;

import io.editdb.bench.answers.EditCase.ProbeKind;
import java.util.Arrays;
import java.util.Random;

/**
 * Pass rates of the probes of the first k edits, with percentile bootstrap 95% intervals over edits
 * (one resample of the edits serves every probe kind, as the probes of an edit belong together).
 */
final class Scores {
  private Scores() {}

  /** A rate and its interval; NaN where it does not apply. */
  record Cell(double rate, double lo, double hi) {
    static final Cell NONE = new Cell(Double.NaN, Double.NaN, Double.NaN);

    String text() {
      return Double.isNaN(rate) ? "n/a" : String.format(java.util.Locale.ROOT, "%.3f", rate);
    }

    String interval() {
      return Double.isNaN(rate) ? "" : String.format(java.util.Locale.ROOT, "[%.3f, %.3f]", lo, hi);
    }
  }

  /**
   * @param pass pass[kind][edit]: whether the probe of that kind of that edit passed
   * @param resamples bootstrap resamples (e.g. 1,000)
   * @return one cell per probe kind
   */
  static Cell[] of(boolean[][] pass, int resamples, long seed) {
    int kinds = pass.length;
    int n = pass[0].length;
    Cell[] out = new Cell[kinds];
    double[][] boot = new double[kinds][resamples];
    Random rnd = new Random(seed);
    int[] pick = new int[n];
    for (int b = 0; b < resamples; b++) {
      for (int i = 0; i < n; i++) {
        pick[i] = rnd.nextInt(n);
      }
      for (int k = 0; k < kinds; k++) {
        int hits = 0;
        for (int i : pick) {
          hits += pass[k][i] ? 1 : 0;
        }
        boot[k][b] = hits / (double) n;
      }
    }
    for (int k = 0; k < kinds; k++) {
      int hits = 0;
      for (boolean p : pass[k]) {
        hits += p ? 1 : 0;
      }
      Arrays.sort(boot[k]);
      out[k] =
          new Cell(
              hits / (double) n,
              boot[k][(int) Math.floor(0.025 * (resamples - 1))],
              boot[k][(int) Math.ceil(0.975 * (resamples - 1))]);
    }
    return out;
  }

  /** The mean pass rate over every probe kind: what the validation sweep maximises. */
  static double objective(Cell[] answers) {
    double sum = 0;
    for (ProbeKind k : ProbeKind.values()) {
      sum += answers[k.ordinal()].rate();
    }
    return sum / ProbeKind.values().length;
  }
}
