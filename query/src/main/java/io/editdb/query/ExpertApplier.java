package io.editdb.query;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.editdb.store.ExpertWeights;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies routed experts to a layer's hidden states: {@code h' = h + sum_e w_e * delta_e(h)} for a
 * batch of queries, each with its own experts, in a fixed number of batched tensor operations.
 *
 * <p>Per call, the routed experts of each kind are gathered into stacked tensors whose rows are the
 * concatenated ranks of each query's experts, padded with zero rows to the widest query, and
 * applied with two batched matrix products: {@code U = f(X) A^T} (f is the identity for LORA and a
 * layer norm for LIVEEDIT, followed by relu), {@code U *= gate * alpha} per row, {@code delta = U
 * B^T}. The sum over experts falls out of the second product. Zero padding adds nothing: a zero row
 * of A gives u = 0 (and relu(0) = 0), and a zero gate scales it away anyway. When the queries of a
 * batch share experts, each distinct expert is stacked once instead and the two products run over
 * all of them for every query, with zero gates where a query did not route an expert (see {@link
 * ApplierConfig.Layout}; chosen per call and kind by estimated cost). On a GPU the gather is one
 * concatenation; on a CPU the experts are copied into a buffer kept between calls (one per
 * concurrent call, as large as the largest batch it served), because paging in fresh memory for the
 * stacked weights on every call costs more there than the arithmetic.
 *
 * <p>{@link #prepare} gathers one routing's experts once ({@link PreparedRouting}) for many calls
 * (decode steps), so that each call runs only the products.
 *
 * <p>Positions outside a query's token mask, and every position of a query with no experts, are
 * returned bit for bit as given. Tensors go through DJL's PyTorch engine, on a GPU when the engine
 * reports one and on the CPU otherwise. Expert tensors stay cached on that device by edit id. Calls
 * may run concurrently.
 *
 * <pre>{@code
 * try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), store::weights)) {
 *   List<List<RoutedEdit>> routed =
 *       List.of(router.route(query), List.of()); // query 2: no edit
 *   float[] out = applier.apply(hidden, 2, tokens, 4096, routed, null); // null: all tokens
 * }
 * }</pre>
 */
public final class ExpertApplier implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExpertApplier.class);

  /** Counters of the expert cache since the applier was created. */
  public record CacheStats(
      long hits, long misses, long evictions, long bytes, int entries, long capacityBytes) {}

  final ApplierConfig config;
  private final Device device;
  final NDManager manager;
  final ExpertCache cache;
  private final GatherBuffers buffers; // null off the CPU
  final LongFunction<ExpertWeights> loader;

  private ExpertApplier(
      ApplierConfig config,
      Device device,
      NDManager manager,
      LongFunction<ExpertWeights> loader,
      boolean reuseBuffers) {
    this.config = config;
    this.device = device;
    this.manager = manager;
    this.cache = new ExpertCache(manager, config.cacheBytes());
    this.buffers = reuseBuffers ? new GatherBuffers(manager) : null;
    this.loader = loader;
  }

  /**
   * An applier on the configured device. {@code loader} returns an edit's expert, or null when the
   * edit is unknown; it is called once per edit until the cache evicts it.
   */
  public static ExpertApplier create(ApplierConfig config, LongFunction<ExpertWeights> loader) {
    return create(config, loader, null);
  }

  /** {@code reuseBuffers}: null to decide by device; tests force either gather on the CPU. */
  static ExpertApplier create(
      ApplierConfig config, LongFunction<ExpertWeights> loader, Boolean reuseBuffers) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(loader, "loader");
    Engine engine = Engine.getEngine(ApplierConfig.ENGINE);
    Device device = pickDevice(config.device(), engine.getGpuCount());
    NDManager manager = engine.newBaseManager(device);
    boolean reuse = reuseBuffers != null ? reuseBuffers : !device.isGpu();
    LOG.info("{} - expert applier on {} (PyTorch {})", config, device, engine.getVersion());
    return new ExpertApplier(config, device, manager, loader, reuse);
  }

  private static Device pickDevice(String wanted, int gpus) {
    if (wanted.equals("auto")) {
      return gpus > 0 ? Device.gpu() : Device.cpu();
    }
    if (wanted.equals("cpu")) {
      return Device.cpu();
    }
    int id = wanted.equals("gpu") ? 0 : Integer.parseInt(wanted.substring(4));
    if (id >= gpus) {
      throw new IllegalArgumentException(
          "device "
              + wanted
              + " needs GPU "
              + id
              + " but the PyTorch engine reports "
              + gpus
              + " GPU(s); use device auto or cpu");
    }
    return Device.gpu(id);
  }

  public ApplierConfig config() {
    return config;
  }

  /** The device tensors live on. */
  public Device device() {
    return device;
  }

  public CacheStats cacheStats() {
    return cache.stats();
  }

  /**
   * Fused application to flattened hidden states.
   *
   * @param hidden {@code [batch, tokens, dIn]} row-major; not modified
   * @param routedPerQuery one list per query (empty when nothing was routed)
   * @param masks null for all positions, else one array of {@code tokens} per query (a null array
   *     also means all positions of that query); only true positions are edited
   * @return a new array of the same shape
   */
  public float[] apply(
      float[] hidden,
      int batch,
      int tokens,
      int dIn,
      List<List<RoutedEdit>> routedPerQuery,
      boolean[][] masks) {
    return arrayCall(
        hidden, batch, tokens, dIn, routedPerQuery, masks, fresh(routedPerQuery, true));
  }

  /**
   * The per-expert loop baseline: the same result as {@link #apply(float[], int, int, int, List,
   * boolean[][])}, computed with separate small products for each expert of each query. For
   * comparison in tests and benchmarks; do not serve with it.
   */
  public float[] applyLoop(
      float[] hidden,
      int batch,
      int tokens,
      int dIn,
      List<List<RoutedEdit>> routedPerQuery,
      boolean[][] masks) {
    return arrayCall(
        hidden, batch, tokens, dIn, routedPerQuery, masks, fresh(routedPerQuery, false));
  }

  /**
   * Fused application to a float32 tensor {@code [batch, tokens, d]} on any device, for serving
   * code that already holds tensors. {@code mask} is null (all positions) or {@code [batch,
   * tokens]} of any type, nonzero meaning "edit". The result is a new tensor on {@code hidden}'s
   * device, owned by {@code hidden}'s manager; {@code hidden} is not modified.
   */
  public NDArray apply(NDArray hidden, List<List<RoutedEdit>> routedPerQuery, NDArray mask) {
    Objects.requireNonNull(hidden, "hidden");
    return tensorCall(hidden, routedPerQuery, mask, fresh(routedPerQuery, true));
  }

  /**
   * Gathers the experts of one routing once, for many calls with that routing: the decode steps of
   * a batch of requests, say, which route once from the prompt and then apply the same experts at
   * every generated token. A call on the result skips the gather that {@link #apply} pays every
   * time. {@code tokens} is the number of positions per query the calls are expected to carry (1
   * for decode steps); it only picks the layout. The stacked copies stay on the device until the
   * result is closed, independent of the expert cache.
   *
   * @throws IllegalArgumentException as {@link #apply} would, with nothing changed
   */
  public PreparedRouting prepare(List<List<RoutedEdit>> routedPerQuery, int dIn, int tokens) {
    if (routedPerQuery == null) {
      throw new IllegalArgumentException(
          "there must be one routed list per query; got null; pass a list per query");
    }
    checkRouted(routedPerQuery, routedPerQuery.size());
    checkDims(routedPerQuery.size(), tokens, dIn);
    return new PreparedRouting(this, routedPerQuery, dIn, tokens);
  }

  /**
   * The work of one call once the hidden states and the "edit here" mask ([B, T or 1, 1] boolean,
   * or null when every position is edited) are on the device.
   */
  interface Kernel {
    NDArray run(NDManager tmp, NDArray h, NDArray use);
  }

  /** Gathers the routed experts in this call (fused) or loops over them (the baseline). */
  private Kernel fresh(List<List<RoutedEdit>> routed, boolean fused) {
    return (tmp, h, use) -> {
      int d = Math.toIntExact(h.getShape().get(2));
      int tokens = Math.toIntExact(h.getShape().get(1));
      Map<Long, ExpertCache.Entry> entries = cache.acquire(distinctIds(routed), loader, d);
      try {
        ExpertMath.checkMasks(routed, entries, tokens);
        NDArray where =
            ExpertMath.narrow(
                tmp, use, ExpertMath.coverage(routed, entries, tokens), routed.size(), tokens);
        return fused
            ? fused(tmp, h, where, routed, entries)
            : ExpertMath.loop(tmp, h, where, routed, entries);
      } finally {
        cache.release(entries.values());
      }
    };
  }

  NDArray tensorCall(NDArray hidden, List<List<RoutedEdit>> routed, NDArray mask, Kernel kernel) {
    Shape shape = hidden.getShape();
    if (shape.dimension() != 3 || hidden.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(
          "hidden states must be a float32 tensor [batch, tokens, d]; got "
              + hidden.getDataType()
              + " "
              + shape
              + "; reshape or convert before applying");
    }
    int batch = Math.toIntExact(shape.get(0));
    int tokens = Math.toIntExact(shape.get(1));
    int width = Math.toIntExact(shape.get(2));
    checkDims(batch, tokens, width);
    checkRouted(routed, batch);
    if (mask != null && !mask.getShape().equals(new Shape(batch, tokens))) {
      throw new IllegalArgumentException(
          "a token mask must be [batch, tokens] = "
              + new Shape(batch, tokens)
              + "; got "
              + mask.getShape()
              + "; pass one flag per token position, or null for all");
    }
    NDManager owner = hidden.getManager();
    Device home = hidden.getDevice();
    try (NDManager tmp = manager.newSubManager()) {
      NDArray h;
      if (home.equals(device)) {
        hidden.tempAttach(tmp); // so every result below lands in tmp; restored on close
        h = hidden;
      } else {
        h = hidden.toDevice(device, true);
        h.attach(tmp);
      }
      // x * 0 is NaN exactly where x is NaN or infinite: two tensor calls instead of four.
      if (Float.isNaN(h.mul(0f).sum().getFloat())) {
        throw new IllegalArgumentException(
            "hidden states must be finite; got NaN or infinite values; fix the layer input");
      }
      NDArray out;
      boolean[] has = hasExperts(routed);
      if (!anyTrue(has)) {
        out = h.duplicate();
      } else {
        NDArray use = null; // null: every position of every query is edited
        if (mask != null || !allTrue(has)) {
          use = tmp.create(has, new Shape(batch, 1, 1));
        }
        if (mask != null) {
          NDArray m = mask.toDevice(device, true);
          m.attach(tmp);
          use = m.toType(DataType.BOOLEAN, false).expandDims(2).logicalAnd(use);
        }
        out = kernel.run(tmp, h, use);
      }
      if (!home.equals(device)) {
        out = out.toDevice(home, false);
      }
      out.attach(owner);
      return out;
    }
  }

  float[] arrayCall(
      float[] hidden,
      int batch,
      int tokens,
      int dIn,
      List<List<RoutedEdit>> routed,
      boolean[][] masks,
      Kernel kernel) {
    checkDims(batch, tokens, dIn);
    long expected = (long) batch * tokens * dIn;
    if (hidden == null || hidden.length != expected) {
      throw new IllegalArgumentException(
          "hidden states must have batch x tokens x d_in = "
              + batch
              + " x "
              + tokens
              + " x "
              + dIn
              + " = "
              + expected
              + " floats; got "
              + (hidden == null ? "null" : hidden.length)
              + "; pass the layer input flattened row-major");
    }
    checkRouted(routed, batch);
    checkMasks(masks, batch, tokens);
    for (int i = 0; i < hidden.length; i++) {
      if (!Float.isFinite(hidden[i])) {
        int q = i / (tokens * dIn);
        throw new IllegalArgumentException(
            "hidden states must be finite; hidden["
                + i
                + "] (query "
                + q
                + ", token "
                + (i / dIn) % tokens
                + ") = "
                + hidden[i]
                + "; fix the layer input");
      }
    }
    boolean[] has = hasExperts(routed);
    if (!anyTrue(has)) {
      return hidden.clone();
    }
    boolean[] use = new boolean[batch * tokens];
    for (int q = 0; q < batch; q++) {
      if (has[q]) {
        boolean[] m = masks == null ? null : masks[q];
        for (int t = 0; t < tokens; t++) {
          use[q * tokens + t] = m == null || m[t];
        }
      }
    }
    try (NDManager tmp = manager.newSubManager()) {
      NDArray h = tmp.create(hidden, new Shape(batch, tokens, dIn));
      NDArray useArr = allTrue(use) ? null : tmp.create(use, new Shape(batch, tokens, 1));
      return kernel.run(tmp, h, useArr).toFloatArray();
    }
  }

  /** Two batched products per expert kind present. */
  private NDArray fused(
      NDManager tmp,
      NDArray h,
      NDArray use,
      List<List<RoutedEdit>> routed,
      Map<Long, ExpertCache.Entry> entries) {
    int tokens = Math.toIntExact(h.getShape().get(1));
    int d = Math.toIntExact(h.getShape().get(2));
    List<ExpertMath.Stack> layout =
        ExpertMath.stacks(routed, entries, tokens, config.layout(), ExpertMath.COPY_COST);
    long rows = 0;
    for (ExpertMath.Stack s : layout) {
      rows = Math.max(rows, (long) s.groups().size() * s.width());
    }
    GatherBuffers.Buffer buf = buffers == null ? null : buffers.take(d, rows);
    try {
      NDArray delta = null;
      for (ExpertMath.Stack s : layout) {
        NDArray a;
        NDArray bt;
        if (buf == null) {
          a = ExpertMath.concat(tmp, s, true, d);
          bt = ExpertMath.concat(tmp, s, false, d);
        } else {
          // The products of one kind are issued before the next kind overwrites the buffer.
          a = ExpertMath.fill(tmp, buf.a, s, true, d);
          bt = ExpertMath.fill(tmp, buf.bt, s, false, d);
        }
        NDArray scale = tmp.create(s.scale(), s.scaleShape());
        NDArray kindDelta = ExpertMath.products(tmp, h, s.kind(), a, bt, scale);
        delta = delta == null ? kindDelta : delta.add(kindDelta);
      }
      return ExpertMath.select(h, use, delta);
    } finally {
      if (buf != null) {
        buffers.give(buf);
      }
    }
  }

  private static void checkDims(int batch, int tokens, int width) {
    if (batch < 1 || tokens < 1 || width < 1) {
      throw new IllegalArgumentException(
          "batch, tokens and d_in must be at least 1; batch="
              + batch
              + ", tokens="
              + tokens
              + ", d_in="
              + width
              + "; pass the shape of the hidden states");
    }
  }

  private static void checkRouted(List<List<RoutedEdit>> routed, int batch) {
    if (routed == null || routed.size() != batch) {
      throw new IllegalArgumentException(
          "there must be one routed list per query; batch="
              + batch
              + ", routed lists="
              + (routed == null ? "null" : routed.size())
              + "; pass an empty list for a query that routed nothing");
    }
    for (int q = 0; q < batch; q++) {
      List<RoutedEdit> list = routed.get(q);
      // A loop, not contains(null): immutable lists throw on a null probe.
      boolean hasNull = list == null;
      for (int i = 0; !hasNull && i < list.size(); i++) {
        hasNull = list.get(i) == null;
      }
      if (hasNull) {
        throw new IllegalArgumentException(
            "routed list of query "
                + q
                + " must be a list of non-null experts; got "
                + list
                + "; pass an empty list for a query that routed nothing");
      }
    }
  }

  private static void checkMasks(boolean[][] masks, int batch, int tokens) {
    if (masks == null) {
      return;
    }
    if (masks.length != batch) {
      throw new IllegalArgumentException(
          "there must be one token mask per query; batch="
              + batch
              + ", masks="
              + masks.length
              + "; pass null masks to edit every position");
    }
    for (int q = 0; q < batch; q++) {
      if (masks[q] != null && masks[q].length != tokens) {
        throw new IllegalArgumentException(
            "a token mask must have one flag per token; query "
                + q
                + " mask has "
                + masks[q].length
                + " flags but tokens="
                + tokens
                + "; pass a mask of the sequence length, or null for all positions");
      }
    }
  }

  static long[] distinctIds(List<List<RoutedEdit>> routed) {
    Set<Long> ids = new LinkedHashSet<>();
    for (List<RoutedEdit> list : routed) {
      for (RoutedEdit r : list) {
        ids.add(r.editId());
      }
    }
    return ids.stream().mapToLong(Long::longValue).toArray();
  }

  private static boolean allTrue(boolean[] flags) {
    for (boolean f : flags) {
      if (!f) {
        return false;
      }
    }
    return true;
  }

  private static boolean anyTrue(boolean[] flags) {
    for (boolean f : flags) {
      if (f) {
        return true;
      }
    }
    return false;
  }

  private static boolean[] hasExperts(List<List<RoutedEdit>> routed) {
    boolean[] has = new boolean[routed.size()];
    for (int q = 0; q < has.length; q++) {
      has[q] = !routed.get(q).isEmpty();
    }
    return has;
  }

  /** Frees every cached tensor. Calls still running when this is called fail. */
  @Override
  public void close() {
    if (buffers != null) {
      buffers.close();
    }
    cache.close();
  }

  @Override
  public String toString() {
    return "ExpertApplier{" + config + ", device=" + device + ", " + cache.stats() + "}";
  }
}
