package io.editdb.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.editdb.query.ApplierConfig;
import io.editdb.query.ExpertApplier;
import io.editdb.query.PreparedRouting;
import io.editdb.query.RoutedEdit;
import io.editdb.store.ExpertKind;
import io.editdb.store.ExpertWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Times the fused expert application against the per-expert loop and against the layer's own matrix
 * product, all through the same DJL engine and device.
 *
 * <pre>
 * java io.editdb.bench.FusedApplyBench [--batch 32] [--experts 4] [--rank 16] [--d 4096]
 *     [--tokens 1] [--pool 0] [--kind LORA|LIVEEDIT] [--warmup 10] [--iters 50]
 *     [--device auto|cpu|gpu] [--seed 42]
 * </pre>
 *
 * <p>On a CPU that other processes share, PyTorch's intra-op threads wait on each other at every
 * operation; {@code -Dai.djl.pytorch.num_threads=1} then gives steadier numbers.
 *
 * <p>{@code --pool} is the number of distinct experts the queries draw from; 0 (the default) gives
 * every query its own experts, the worst case for the gather. All experts are cached on the device
 * during warm-up, so the timed calls measure application, not loading. Weights are random: the
 * arithmetic does not depend on their values.
 */
public final class FusedApplyBench {

  private FusedApplyBench() {}

  public static void main(String[] args) {
    Map<String, String> opt = parse(args);
    int batch = Integer.parseInt(opt.getOrDefault("batch", "32"));
    int experts = Integer.parseInt(opt.getOrDefault("experts", "4"));
    int rank = Integer.parseInt(opt.getOrDefault("rank", "16"));
    int d = Integer.parseInt(opt.getOrDefault("d", "4096"));
    int tokens = Integer.parseInt(opt.getOrDefault("tokens", "1"));
    int pool = Integer.parseInt(opt.getOrDefault("pool", "0"));
    ExpertKind kind = ExpertKind.valueOf(opt.getOrDefault("kind", "LORA").toUpperCase(Locale.ROOT));
    int warmup = Integer.parseInt(opt.getOrDefault("warmup", "10"));
    int iters = Integer.parseInt(opt.getOrDefault("iters", "50"));
    long seed = Long.parseLong(opt.getOrDefault("seed", "42"));
    int distinct = pool > 0 ? pool : batch * experts;

    Random rnd = new Random(seed);
    Map<Long, ExpertWeights> store = new HashMap<>();
    for (long id = 0; id < distinct; id++) {
      store.put(id, randomExpert(rnd, id, kind, rank, d));
    }
    List<List<RoutedEdit>> routed = new ArrayList<>();
    for (int q = 0; q < batch; q++) {
      List<RoutedEdit> list = new ArrayList<>();
      for (int e = 0; e < experts; e++) {
        long id = pool > 0 ? rnd.nextInt(pool) : (long) q * experts + e;
        list.add(new RoutedEdit(id, 0.1f + 0.9f * rnd.nextFloat()));
      }
      routed.add(list);
    }
    float[] hidden = new float[batch * tokens * d];
    for (int i = 0; i < hidden.length; i++) {
      hidden[i] = (float) rnd.nextGaussian();
    }
    long cacheBytes = Math.max(ApplierConfig.DEFAULT_CACHE_BYTES, 2L * distinct * 8L * rank * d);
    ApplierConfig config =
        ApplierConfig.cacheBytes(cacheBytes).optDevice(opt.getOrDefault("device", "auto"));

    try (ExpertApplier applier = ExpertApplier.create(config, store::get);
        ExpertApplier perQuery =
            ExpertApplier.create(config.optLayout(ApplierConfig.Layout.PER_QUERY), store::get);
        ExpertApplier shared =
            ExpertApplier.create(config.optLayout(ApplierConfig.Layout.SHARED), store::get);
        PreparedRouting prepared = applier.prepare(routed, d, tokens);
        NDManager manager =
            Engine.getEngine(ApplierConfig.ENGINE).newBaseManager(applier.device())) {
      NDArray h = manager.create(hidden, new Shape(batch, tokens, d));
      NDArray x2 = h.reshape(batch * tokens, d);
      NDArray w = manager.randomNormal(new Shape(d, d)).div(Math.sqrt(d));

      List<Supplier<Float>> calls =
          List.of(
              () -> {
                try (NDArray out = applier.apply(h, routed, null)) {
                  return sync(out);
                }
              },
              () -> applier.apply(hidden, batch, tokens, d, routed, null)[0],
              () -> {
                try (NDArray out = perQuery.apply(h, routed, null)) {
                  return sync(out);
                }
              },
              () -> {
                try (NDArray out = shared.apply(h, routed, null)) {
                  return sync(out);
                }
              },
              () -> {
                try (NDArray out = prepared.apply(h, null)) {
                  return sync(out);
                }
              },
              () -> applier.applyLoop(hidden, batch, tokens, d, routed, null)[0],
              () -> {
                try (NDArray out = x2.matMul(w)) {
                  return sync(out);
                }
              });
      double[][] ms = time(warmup, iters, calls);
      double[] fusedTensor = ms[0];
      double[] fusedArray = ms[1];
      double[] perQueryTensor = ms[2];
      double[] sharedTensor = ms[3];
      double[] preparedTensor = ms[4];
      double[] loopArray = ms[5];
      double[] base = ms[6];

      float[] a = applier.apply(hidden, batch, tokens, d, routed, null);
      float[] b = applier.applyLoop(hidden, batch, tokens, d, routed, null);
      float[] c = shared.apply(hidden, batch, tokens, d, routed, null);
      float[] e = perQuery.apply(hidden, batch, tokens, d, routed, null);
      float[] f = prepared.apply(hidden, tokens, null);
      double maxDiff = 0;
      for (int i = 0; i < a.length; i++) {
        double diff = Math.max(Math.abs(a[i] - b[i]), Math.abs(c[i] - b[i]));
        diff = Math.max(diff, Math.max(Math.abs(e[i] - b[i]), Math.abs(f[i] - b[i])));
        maxDiff = Math.max(maxDiff, diff);
      }

      System.out.printf(
          Locale.ROOT,
          "FusedApplyBench: batch=%d experts/query=%d rank=%d d=%d tokens=%d kind=%s distinct"
              + " experts=%d device=%s cores=%d torch threads=%s warmup=%d iters=%d seed=%d%n",
          batch,
          experts,
          rank,
          d,
          tokens,
          kind,
          distinct,
          applier.device(),
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("ai.djl.pytorch.num_threads", "default"),
          warmup,
          iters,
          seed);
      System.out.printf(Locale.ROOT, "%-44s %10s %10s%n", "what", "median ms", "p99 ms");
      row("fused, tensor in/out (apply(NDArray))", fusedTensor);
      row("fused, float[] in/out (apply(float[]))", fusedArray);
      row("  fused, tensor, layout forced PER_QUERY", perQueryTensor);
      row("  fused, tensor, layout forced SHARED", sharedTensor);
      row("fused, tensor, prepared routing (no gather)", preparedTensor);
      row("loop over experts, float[] in/out", loopArray);
      row(
          String.format(Locale.ROOT, "base matmul [%d x %d] x [%d x %d]", batch * tokens, d, d, d),
          base);
      System.out.printf(
          Locale.ROOT,
          "loop/fused (float[]): %.2fx   fused/base (tensor): %.1f%%   fused/base (float[]):"
              + " %.1f%%%nloop (float[]) / prepared (tensor): %.2fx   prepared/base: %.1f%%"
              + "   max |fused - loop| (every layout, prepared) = %.2e%n",
          median(loopArray) / median(fusedArray),
          100 * median(fusedTensor) / median(base),
          100 * median(fusedArray) / median(base),
          median(loopArray) / median(preparedTensor),
          100 * median(preparedTensor) / median(base),
          maxDiff);
      System.out.println("cache: " + applier.cacheStats());
    }
  }

  /** A cheap read of one value, so that asynchronous devices finish before the clock stops. */
  private static float sync(NDArray out) {
    try (NDArray s = out.sum()) {
      return s.getFloat();
    }
  }

  /** Round-robin over the calls, so that machine noise hits all of them alike. */
  private static double[][] time(int warmup, int iters, List<Supplier<Float>> calls) {
    float sink = 0;
    double[][] ms = new double[calls.size()][iters];
    for (int i = -warmup; i < iters; i++) {
      for (int k = 0; k < calls.size(); k++) {
        long t0 = System.nanoTime();
        sink += calls.get(k).get();
        if (i >= 0) {
          ms[k][i] = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    if (Float.isNaN(sink)) {
      System.out.println("(NaN result)"); // keeps the JIT from dropping the calls
    }
    for (double[] m : ms) {
      Arrays.sort(m);
    }
    return ms;
  }

  private static double median(double[] sorted) {
    return sorted[sorted.length / 2];
  }

  private static double p99(double[] sorted) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)];
  }

  private static void row(String what, double[] sorted) {
    System.out.printf(Locale.ROOT, "%-44s %10.3f %10.3f%n", what, median(sorted), p99(sorted));
  }

  private static ExpertWeights randomExpert(Random rnd, long id, ExpertKind kind, int r, int d) {
    float[] a = new float[r * d];
    float[] b = new float[d * r];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rnd.nextGaussian() / Math.sqrt(d));
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (rnd.nextGaussian() / Math.sqrt(r));
    }
    return new ExpertWeights(id, kind, r, d, d, 1f, a, b);
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> opt = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 == args.length) {
        throw new IllegalArgumentException(
            "arguments must be --name value pairs; got "
                + args[i]
                + "; e.g. --tokens 576 --iters 20");
      }
      opt.put(args[i].substring(2), args[++i]);
    }
    return opt;
  }
}
