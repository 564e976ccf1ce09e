package io.editdb.query;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.editdb.query.ExpertApplier.Routed;
import io.editdb.store.ExpertKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The tensor arithmetic of {@link ExpertApplier}: laying out and gathering one kind's experts, the
 * two batched products, the per-expert loop baseline, and the masked residual add.
 *
 * <p>DJL puts the result of an operation in the manager of its first operand. Every operation here
 * therefore starts from a per-call tensor, or attaches a view of a cached tensor to the per-call
 * manager, so that nothing made during a call outlives it in the cache's manager.
 */
final class ExpertMath {
  // LiveEdit's layer norm: no affine parameters, biased variance.
  private static final float LAYER_NORM_EPS = 1e-5f;

  private ExpertMath() {}

  /** Where one kind's experts go in the stacked tensors: per query, its experts, then zeros. */
  record Stack(ExpertKind kind, int width, List<List<ExpertCache.Entry>> experts, float[] scale) {}

  /**
   * {@code f(X) A^T}, relu for LIVEEDIT, times gate * alpha per column, times {@code B^T}: [B, T,
   * d]. The sum over a query's experts happens inside the second product.
   */
  static NDArray products(NDManager tmp, NDArray h, Stack s, NDArray a, NDArray bt) {
    int batch = s.experts().size();
    NDArray x = s.kind() == ExpertKind.LIVEEDIT ? layerNorm(tmp, h) : h;
    NDArray u = x.matMul(a.transpose(0, 2, 1)); // [B, T, W]
    if (s.kind() == ExpertKind.LIVEEDIT) {
      u = Activation.relu(u);
    }
    u = u.mul(tmp.create(s.scale(), new Shape(batch, 1, s.width())));
    return u.matMul(bt);
  }

  /** The layout of one kind's experts, or null when no query routed one of that kind. */
  static Stack stack(
      ExpertKind kind, List<List<Routed>> routed, Map<Long, ExpertCache.Entry> entries) {
    int batch = routed.size();
    List<List<ExpertCache.Entry>> experts = new ArrayList<>(batch);
    int w = 0;
    for (List<Routed> list : routed) {
      List<ExpertCache.Entry> mine = new ArrayList<>(list.size());
      int width = 0;
      for (Routed r : list) {
        ExpertCache.Entry e = entries.get(r.editId());
        if (e.kind == kind) {
          mine.add(e);
          width += e.rank;
        }
      }
      experts.add(mine);
      w = Math.max(w, width);
    }
    if (w == 0) {
      return null;
    }
    float[] scale = new float[batch * w];
    for (int q = 0; q < batch; q++) {
      int off = q * w;
      for (Routed r : routed.get(q)) {
        ExpertCache.Entry e = entries.get(r.editId());
        if (e.kind == kind) {
          Arrays.fill(scale, off, off + e.rank, r.gate() * e.alpha);
          off += e.rank;
        }
      }
    }
    return new Stack(kind, w, experts, scale);
  }

  /** Stacked [B, W, d] by one concatenation (one kernel on a GPU). */
  static NDArray concat(NDManager tmp, Stack s, boolean aSide, int d) {
    // An empty tmp tensor first, because a concatenation belongs to its first operand's manager
    // and the cached tensors belong to the cache.
    NDList parts = new NDList(tmp.zeros(new Shape(0, d)));
    for (List<ExpertCache.Entry> mine : s.experts()) {
      int width = 0;
      for (ExpertCache.Entry e : mine) {
        parts.add(aSide ? e.a : e.bt);
        width += e.rank;
      }
      if (width < s.width()) {
        parts.add(tmp.zeros(new Shape(s.width() - width, d)));
      }
    }
    return NDArrays.concat(parts, 0).reshape(s.experts().size(), s.width(), d);
  }

  /** Stacked [B, W, d] by copies into a buffer that stays mapped (see {@link GatherBuffers}). */
  static NDArray fill(NDManager tmp, NDArray buffer, Stack s, boolean aSide, int d) {
    int batch = s.experts().size();
    int w = s.width();
    for (int q = 0; q < batch; q++) {
      long row = (long) q * w;
      for (ExpertCache.Entry e : s.experts().get(q)) {
        buffer.set(new NDIndex().addSliceDim(row, row + e.rank), aSide ? e.a : e.bt);
        row += e.rank;
      }
      if (row < (long) (q + 1) * w) {
        // Stale rows of an earlier call must not leak in, even times a zero gate (inf * 0).
        buffer.set(new NDIndex().addSliceDim(row, (long) (q + 1) * w), 0f);
      }
    }
    NDArray view = buffer.get(new NDIndex().addSliceDim(0, (long) batch * w));
    view.attach(tmp); // a view of a long-lived tensor starts in the long-lived manager
    return view.reshape(batch, w, d);
  }

  /** The baseline: one pair of small products per routed expert of each query. */
  static NDArray loop(
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
  static NDArray select(NDArray h, NDArray use, NDArray delta) {
    if (delta == null) {
      return h.duplicate();
    }
    // PyTorch's where through DJL does not broadcast the condition.
    return NDArrays.where(use.broadcast(h.getShape()), h.add(delta), h);
  }

  static NDArray layerNorm(NDManager tmp, NDArray x) {
    Shape last = new Shape(x.getShape().get(x.getShape().dimension() - 1));
    return x.getNDArrayInternal()
        .layerNorm(x, last, tmp.ones(last), tmp.zeros(last), LAYER_NORM_EPS)
        .get(0);
  }
}
