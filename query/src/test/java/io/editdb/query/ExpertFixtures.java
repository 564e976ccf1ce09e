package io.editdb.query;

import io.editdb.store.ExpertKind;
import io.editdb.store.ExpertWeights;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;

/** A plain-Java reference of expert application, a stub store, and random inputs for tests. */
final class ExpertFixtures {
  private ExpertFixtures() {}

  /** A hand-written store of experts that counts loads. */
  static final class StubLoader implements LongFunction<ExpertWeights> {
    final Map<Long, ExpertWeights> experts = new HashMap<>();
    final AtomicInteger loads = new AtomicInteger();

    @Override
    public ExpertWeights apply(long id) {
      loads.incrementAndGet();
      return experts.get(id);
    }

    ExpertWeights add(ExpertWeights w) {
      experts.put(w.editId(), w);
      return w;
    }
  }

  static ExpertWeights randomExpert(Random rnd, long id, ExpertKind kind, int rank, int d) {
    float[] a = new float[rank * d];
    float[] b = new float[d * rank];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rnd.nextGaussian() / Math.sqrt(d));
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (rnd.nextGaussian() / Math.sqrt(rank));
    }
    return new ExpertWeights(id, kind, rank, d, d, 0.5f + rnd.nextFloat(), a, b);
  }

  static float[] randomHidden(Random rnd, int n) {
    float[] h = new float[n];
    for (int i = 0; i < n; i++) {
      h[i] = (float) (rnd.nextGaussian() * 2 + 0.3);
    }
    return h;
  }

  /** The definition, in double precision, one token at a time. */
  static double[] reference(
      float[] hidden,
      int batch,
      int tokens,
      int d,
      List<List<RoutedEdit>> routed,
      boolean[][] masks,
      Map<Long, ExpertWeights> experts) {
    double[] out = new double[hidden.length];
    for (int i = 0; i < hidden.length; i++) {
      out[i] = hidden[i];
    }
    for (int q = 0; q < batch; q++) {
      for (int t = 0; t < tokens; t++) {
        if (masks != null && masks[q] != null && !masks[q][t]) {
          continue;
        }
        int base = (q * tokens + t) * d;
        double[] h = new double[d];
        for (int k = 0; k < d; k++) {
          h[k] = hidden[base + k];
        }
        double[] ln = layerNorm(h);
        for (RoutedEdit r : routed.get(q)) {
          ExpertWeights w = experts.get(r.editId());
          int[] region = r.positions() != null ? r.positions() : w.tokenMask();
          if (region != null && java.util.Arrays.binarySearch(region, t) < 0) {
            continue; // outside the expert's region in this query
          }
          double[] x = w.kind() == ExpertKind.LIVEEDIT ? ln : h;
          for (int j = 0; j < w.rank(); j++) {
            double u = 0;
            for (int k = 0; k < d; k++) {
              u += w.a()[j * d + k] * x[k];
            }
            if (w.kind() == ExpertKind.LIVEEDIT) {
              u = Math.max(0, u);
            }
            u *= (double) r.gate() * w.alpha();
            for (int k = 0; k < d; k++) {
              out[base + k] += w.b()[k * w.rank() + j] * u;
            }
          }
        }
      }
    }
    return out;
  }

  static double[] layerNorm(double[] h) {
    double mean = 0;
    for (double v : h) {
      mean += v;
    }
    mean /= h.length;
    double var = 0;
    for (double v : h) {
      var += (v - mean) * (v - mean);
    }
    var /= h.length;
    double inv = 1 / Math.sqrt(var + 1e-5);
    double[] out = new double[h.length];
    for (int i = 0; i < h.length; i++) {
      out[i] = (h[i] - mean) * inv;
    }
    return out;
  }

  /**
   * max |got - want| relative to the largest delta the reference applied, or to a hundredth of the
   * largest hidden value if that is more: a float result carries a rounding error of up to half an
   * ulp of the hidden value itself, so against a delta near zero (a LiveEdit expert whose ReLUs all
   * but close) the bare ratio measured float rounding, not the applier. ExpertApplierTest, seed
   * 54552489506919: one rank-4 expert, a largest delta of 8.8e-4 on hidden values up to 4.77, an
   * error of 1.04e-7, so 1.2e-4 of the delta (over the 1e-4 bar) and 2.2e-6 of the new scale.
   */
  static double relativeError(float[] got, double[] want, float[] hidden) {
    double err = 0;
    double scale = 1e-30;
    for (int i = 0; i < got.length; i++) {
      err = Math.max(err, Math.abs(got[i] - want[i]));
      scale = Math.max(scale, Math.max(Math.abs(want[i] - hidden[i]), 0.01 * Math.abs(hidden[i])));
    }
    return err / scale;
  }
}
