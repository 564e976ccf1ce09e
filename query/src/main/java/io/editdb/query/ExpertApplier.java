package io.editdb.query;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.editdb.store.ExpertKind;
import io.editdb.store.ExpertWeights;
import java.util.Arrays;
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
 * B^T}. The sum over experts falls out of the second product. Zero padding adds nothing: a zero
 * row of A gives u = 0 (and relu(0) = 0), and a zero gate scales it away anyway.
 *
 * <p>Positions outside a query's token mask, and every position of a query with no experts, are
 * returned bit for bit as given. Tensors go through DJL's PyTorch engine, on a GPU when the engine
 * reports one and on the CPU otherwise. Expert tensors stay cached on that device by edit id.
 * Calls may run concurrently.
 *
 * <pre>{@code
 * try (ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), store::expert)) {
 *   List<List<ExpertApplier.Routed>> routed =
 *       List.of(List.of(new ExpertApplier.Routed(42, 0.8f)), List.of()); // query 2: no edit
 *   float[] out = applier.apply(hidden, 2, tokens, 4096, routed, null); // null: all tokens
 * }
 * }</pre>
 */
public final class ExpertApplier implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExpertApplier.class);
  private static final float LAYER_NORM_EPS = 1e-5f;

  /** One routed expert of one query: the edit and its gate w_e (finite; usually in (0, 1]). */
  public record Routed(long editId, float gate) {
    public Routed {
      if (!Float.isFinite(gate)) {
        throw new IllegalArgumentException(
            "a gate must be finite; gate=" + gate + " for edit_id=" + editId
                + "; route with finite text similarities");
      }
    }
  }

  /** Counters of the expert cache since the applier was created. */
  public record CacheStats(
      long hits, long misses, long evictions, long bytes, int entries, long capacityBytes) {}

  private final ApplierConfig config;
  private final Device device;
  private final NDManager manager;
  private final ExpertCache cache;
  private final LongFunction<ExpertWeights> loader;

  private ExpertApplier(
      ApplierConfig config, Device device, NDManager manager, LongFunction<ExpertWeights> loader) {
    this.config = config;
    this.device = device;
    this.manager = manager;
    this.cache = new ExpertCache(manager, config.cacheBytes());
    this.loader = loader;
  }

  /**
   * An applier on the configured device. {@code loader} returns an edit's expert, or null when the
   * edit is unknown; it is called once per edit until the cache evicts it.
   */
  public static ExpertApplier create(ApplierConfig config, LongFunction<ExpertWeights> loader) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(loader, "loader");
    Engine engine = Engine.getEngine(ApplierConfig.ENGINE);
    Device device = pickDevice(config.device(), engine.getGpuCount());
    NDManager manager = engine.newBaseManager(device);
    LOG.info("{} - expert applier on {} (PyTorch {})", config, device, engine.getVersion());
    return new ExpertApplier(config, device, manager, loader);
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
          "device " + wanted + " needs GPU " + id + " but the PyTorch engine reports " + gpus
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
      List<List<Routed>> routedPerQuery,
      boolean[][] masks) {
    return applyArray(hidden, batch, tokens, dIn, routedPerQuery, masks, true);
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
      List<List<Routed>> routedPerQuery,
      boolean[][] masks) {
    return applyArray(hidden, batch, tokens, dIn, routedPerQuery, masks, false);
  }

  /**
   * Fused application to a float32 tensor {@code [batch, tokens, d]} on any device, for serving
   * code that already holds tensors. {@code mask} is null (all positions) or {@code [batch,
   * tokens]} of any type, nonzero meaning "edit". The result is a new tensor on {@code hidden}'s
   * device, owned by {@code hidden}'s manager; {@code hidden} is not modified.
   */
  public NDArray apply(NDArray hidden, List<List<Routed>> routedPerQuery, NDArray mask) {
    Objects.requireNonNull(hidden, "hidden");
    Shape shape = hidden.getShape();
    if (shape.dimension() != 3 || hidden.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(
          "hidden states must be a float32 tensor [batch, tokens, d]; got " + hidden.getDataType()
              + " " + shape + "; reshape or convert before applying");
    }
    int batch = Math.toIntExact(shape.get(0));
    int tokens = Math.toIntExact(shape.get(1));
    int width = Math.toIntExact(shape.get(2));
    checkDims(batch, tokens, width);
    checkRouted(routedPerQuery, batch);
    if (mask != null && !mask.getShape().equals(new Shape(batch, tokens))) {
      throw new IllegalArgumentException(
          "a token mask must be [batch, tokens] = " + new Shape(batch, tokens) + "; got "
              + mask.getShape() + "; pass one flag per token position, or null for all");
    }
    NDManager owner = hidden.getManager();
    Device home = hidden.getDevice();
    long[] ids = distinctIds(routedPerQuery);
    try (NDManager tmp = manager.newSubManager()) {
      NDArray h;
      if (home.equals(device)) {
        hidden.tempAttach(tmp); // so every result below lands in tmp; restored on close
        h = hidden;
      } else {
        h = hidden.toDevice(device, true);
        h.attach(tmp);
      }
      if (h.isNaN().logicalOr(h.isInfinite()).any().getBoolean()) {
        throw new IllegalArgumentException(
            "hidden states must be finite; got NaN or infinite values; fix the layer input");
      }
      NDArray out;
      if (ids.length == 0) {
        out = h.duplicate();
      } else {
        NDArray use = tmp.create(hasExperts(routedPerQuery), new Shape(batch, 1, 1));
        if (mask != null) {
          NDArray m = mask.toDevice(device, true);
          m.attach(tmp);
          use = m.toType(DataType.BOOLEAN, false).expandDims(2).logicalAnd(use);
        }
        Map<Long, ExpertCache.Entry> entries = cache.acquire(ids, loader, width);
        try {
          out = fused(tmp, h, use, routedPerQuery, entries);
        } finally {
          cache.release(entries.values());
        }
      }
      if (!home.equals(device)) {
        out = out.toDevice(home, false);
      }
      out.attach(owner);
      return out;
    }
  }

  private float[] applyArray(
      float[] hidden,
      int batch,
      int tokens,
      int dIn,
      List<List<Routed>> routedPerQuery,
      boolean[][] masks,
      boolean fused) {
    checkDims(batch, tokens, dIn);
    long expected = (long) batch * tokens * dIn;
    if (hidden == null || hidden.length != expected) {
      throw new IllegalArgumentException(
          "hidden states must have batch x tokens x d_in = " + batch + " x " + tokens + " x "
              + dIn + " = " + expected + " floats; got "
              + (hidden == null ? "null" : hidden.length)
              + "; pass the layer input flattened row-major");
    }
    checkRouted(routedPerQuery, batch);
    checkMasks(masks, batch, tokens);
    for (int i = 0; i < hidden.length; i++) {
      if (!Float.isFinite(hidden[i])) {
        int q = i / (tokens * dIn);
        throw new IllegalArgumentException(
            "hidden states must be finite; hidden[" + i + "] (query " + q + ", token "
                + (i / dIn) % tokens + ") = " + hidden[i] + "; fix the layer input");
      }
    }
    long[] ids = distinctIds(routedPerQuery);
    if (ids.length == 0) {
      return hidden.clone();
    }
    boolean[] use = new boolean[batch * tokens];
    for (int q = 0; q < batch; q++) {
      if (!routedPerQuery.get(q).isEmpty()) {
        boolean[] m = masks == null ? null : masks[q];
        for (int t = 0; t < tokens; t++) {
          use[q * tokens + t] = m == null || m[t];
        }
      }
    }
    Map<Long, ExpertCache.Entry> entries = cache.acquire(ids, loader, dIn);
    try (NDManager tmp = manager.newSubManager()) {
      NDArray h = tmp.create(hidden, new Shape(batch, tokens, dIn));
      NDArray useArr = tmp.create(use, new Shape(batch, tokens, 1));
      NDArray out =
          fused
              ? fused(tmp, h, useArr, routedPerQuery, entries)
              : loop(tmp, h, useArr, routedPerQuery, entries);
      return out.toFloatArray();
    } finally {
      cache.release(entries.values());
    }
  }

  /** Two batched products per expert kind present; {@code use} is [B, T or 1, 1] boolean. */
  private static NDArray fused(
      NDManager tmp,
      NDArray h,
      NDArray use,
      List<List<Routed>> routed,
      Map<Long, ExpertCache.Entry> entries) {
    NDArray delta = null;
    for (ExpertKind kind : ExpertKind.values()) {
      NDArray d = kindDelta(tmp, h, kind, routed, entries);
      if (d != null) {
        delta = delta == null ? d : delta.add(d);
      }
    }
    return select(h, use, delta);
  }

  /** The summed delta of one kind's experts, or null when no query routed one of that kind. */
  private static NDArray kindDelta(
      NDManager tmp,
      NDArray h,
      ExpertKind kind,
      List<List<Routed>> routed,
      Map<Long, ExpertCache.Entry> entries) {
    int batch = routed.size();
    int[] widths = new int[batch];
    int w = 0;
    for (int q = 0; q < batch; q++) {
      for (Routed r : routed.get(q)) {
        ExpertCache.Entry e = entries.get(r.editId());
        if (e.kind == kind) {
          widths[q] += e.rank;
        }
      }
      w = Math.max(w, widths[q]);
    }
    if (w == 0) {
      return null;
    }
    long d = h.getShape().get(2);
    // An empty tmp tensor first, because a concatenation belongs to its first operand's manager
    // and the cached tensors belong to the cache.
    NDArray head = tmp.zeros(new Shape(0, d));
    NDList aParts = new NDList(head);
    NDList bParts = new NDList(head);
    float[] scale = new float[batch * w];
    for (int q = 0; q < batch; q++) {
      int off = 0;
      for (Routed r : routed.get(q)) {
        ExpertCache.Entry e = entries.get(r.editId());
        if (e.kind != kind) {
          continue;
        }
        aParts.add(e.a);
        bParts.add(e.bt);
        Arrays.fill(scale, q * w + off, q * w + off + e.rank, r.gate() * e.alpha);
        off += e.rank;
      }
      if (off < w) {
        NDArray pad = tmp.zeros(new Shape(w - off, d));
        aParts.add(pad);
        bParts.add(pad);
      }
    }
    NDArray a = NDArrays.concat(aParts, 0).reshape(batch, w, d);
    NDArray bt = NDArrays.concat(bParts, 0).reshape(batch, w, d);
    NDArray x = kind == ExpertKind.LIVEEDIT ? layerNorm(tmp, h) : h;
    NDArray u = x.matMul(a.transpose(0, 2, 1)); // [B, T, W]
    if (kind == ExpertKind.LIVEEDIT) {
      u = Activation.relu(u);
    }
    u = u.mul(tmp.create(scale, new Shape(batch, 1, w)));
    return u.matMul(bt); // [B, T, d]
  }

  /** The baseline: one pair of small products per routed expert of each query. */
  private static NDArray loop(
      NDManager tmp,
      NDArray h,
      NDArray use,
      List<List<Routed>> routed,
      Map<Long, ExpertCache.Entry> entries) {
    NDList outs = new NDList();
    for (int q = 0; q < routed.size(); q++) {
      NDArray hq = h.get(q);
      NDArray lnq = null;
      NDArray acc = null;
      for (Routed r : routed.get(q)) {
        ExpertCache.Entry e = entries.get(r.editId());
        NDArray x = hq;
        if (e.kind == ExpertKind.LIVEEDIT) {
          lnq = lnq == null ? layerNorm(tmp, hq) : lnq;
          x = lnq;
        }
        NDArray at = e.a.transpose();
        at.attach(tmp); // a view made from a cached tensor starts in the cache's manager
        NDArray u = x.matMul(at);
        if (e.kind == ExpertKind.LIVEEDIT) {
          u = Activation.relu(u);
        }
        NDArray dq = u.mul(r.gate() * e.alpha).matMul(e.bt);
        acc = acc == null ? dq : acc.add(dq);
      }
      outs.add(acc == null ? hq : select(hq, use.get(q), acc));
    }
    return NDArrays.stack(outs);
  }

  /** h + delta where {@code use} is true, h itself (bit for bit) elsewhere. */
  private static NDArray select(NDArray h, NDArray use, NDArray delta) {
    if (delta == null) {
      return h.duplicate();
    }
    // PyTorch's where through DJL does not broadcast the condition.
    return NDArrays.where(use.broadcast(h.getShape()), h.add(delta), h);
  }

  private static NDArray layerNorm(NDManager tmp, NDArray x) {
    Shape last = new Shape(x.getShape().get(x.getShape().dimension() - 1));
    return x.getNDArrayInternal()
        .layerNorm(x, last, tmp.ones(last), tmp.zeros(last), LAYER_NORM_EPS)
        .get(0);
  }

  private static void checkDims(int batch, int tokens, int width) {
    if (batch < 1 || tokens < 1 || width < 1) {
      throw new IllegalArgumentException(
          "batch, tokens and d_in must be at least 1; batch=" + batch + ", tokens=" + tokens
              + ", d_in=" + width + "; pass the shape of the hidden states");
    }
  }

  private static void checkRouted(List<List<Routed>> routed, int batch) {
    if (routed == null || routed.size() != batch) {
      throw new IllegalArgumentException(
          "there must be one routed list per query; batch=" + batch + ", routed lists="
              + (routed == null ? "null" : routed.size())
              + "; pass an empty list for a query that routed nothing");
    }
    for (int q = 0; q < batch; q++) {
      List<Routed> list = routed.get(q);
      if (list == null || list.contains(null)) {
        throw new IllegalArgumentException(
            "routed list of query " + q + " must be a list of non-null experts; got " + list
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
          "there must be one token mask per query; batch=" + batch + ", masks=" + masks.length
              + "; pass null masks to edit every position");
    }
    for (int q = 0; q < batch; q++) {
      if (masks[q] != null && masks[q].length != tokens) {
        throw new IllegalArgumentException(
            "a token mask must have one flag per token; query " + q + " mask has "
                + masks[q].length + " flags but tokens=" + tokens
                + "; pass a mask of the sequence length, or null for all positions");
      }
    }
  }

  private static long[] distinctIds(List<List<Routed>> routed) {
    Set<Long> ids = new LinkedHashSet<>();
    for (List<Routed> list : routed) {
      for (Routed r : list) {
        ids.add(r.editId());
      }
    }
    return ids.stream().mapToLong(Long::longValue).toArray();
  }

  private static boolean[] hasExperts(List<List<Routed>> routed) {
    boolean[] has = new boolean[routed.size()];
    for (int q = 0; q < has.length; q++) {
      has[q] = !routed.get(q).isEmpty();
    }
    return has;
  }

  /** Frees every cached tensor. Calls still running when this is called fail. */
  @Override
  public void close() {
    cache.close();
  }

  @Override
  public String toString() {
    return "ExpertApplier{" + config + ", device=" + device + ", " + cache.stats() + "}";
  }
}
