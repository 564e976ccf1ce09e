package io.editdb.query;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.editdb.store.ExpertKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

  /**
   * Where one kind's experts go in the stacked tensors, as groups of {@code width} rows. Per query
   * (one group per query): its experts, then zero rows. Shared (a single group): each distinct
   * expert once, multiplied by every query, whose scale is zero for the experts it did not route.
   * {@code scale} is [batch, scaleTokens, width]: gate * alpha in each rank column of an expert,
   * with {@code scaleTokens} 1 when no expert of the stack has a token mask, else the tokens per
   * query, and zero at the positions outside a masked expert's mask.
   */
  record Stack(
      ExpertKind kind,
      int width,
      List<List<ExpertCache.Entry>> groups,
      float[] scale,
      int scaleTokens) {
    int batch() {
      return scale.length / (width * scaleTokens);
    }

    /** The shape of {@link #scale} as a tensor that broadcasts over [B, T, width]. */
    Shape scaleShape() {
      return new Shape(batch(), scaleTokens, width);
    }

    /** The stacked weights' shape: [groups, width, d], or [width, d] for one group. */
    Shape shape(int d) {
      return groups.size() == 1 ? new Shape(width, d) : new Shape(groups.size(), width, d);
    }
  }

  /**
   * {@code f(X) A^T}, relu for LIVEEDIT, times gate * alpha per column, times {@code B^T}: [B, T,
   * d]. The sum over a query's experts happens inside the second product.
   */
  static NDArray products(
      NDManager tmp, NDArray h, ExpertKind kind, NDArray a, NDArray bt, NDArray scale) {
    NDArray x = kind == ExpertKind.LIVEEDIT ? layerNorm(tmp, h) : h;
    // [B, T, W]; a 2-D (shared) stack is one matrix product over all B * T rows.
    NDArray at = a.getShape().dimension() == 2 ? a.transpose() : a.transpose(0, 2, 1);
    at.attach(tmp); // a view of a prepared (long-lived) stack starts in the stack's manager
    NDArray u = x.matMul(at);
    if (kind == ExpertKind.LIVEEDIT) {
      u = Activation.relu(u);
    }
    return u.mul(scale).matMul(bt);
  }

  /**
   * Reading one d-wide weight row from memory costs about as much as this many multiply-adds with
   * it for one token. Measured on the 2-core CPU this project is built on (d = 4096): a row is read
   * at about 20 GB/s (0.8 us) while a product runs at about 80 GFLOP/s (0.1 us per row and token).
   */
  static final double READ_COST = 8;

  /** Gathering a row per call: the copy reads and writes it, and the product reads it again. */
  static final double COPY_COST = 3 * READ_COST;

  /**
   * Per query, {@code batch x W} weight rows are stacked and each query multiplies only its own;
   * shared, each of the {@code R} distinct rows is stacked once but every query multiplies all of
   * them. Shared wins when queries share experts and few tokens are edited. {@code rowCost}: what
   * stacking and reading one row costs ({@link #COPY_COST} per call, or {@link #READ_COST} when the
   * stack is prepared once for many calls).
   */
  static boolean preferShared(
      int batch, int tokens, long perQueryWidth, long sharedWidth, double rowCost) {
    double perQuery = (double) batch * perQueryWidth * (rowCost + tokens);
    double shared = (double) sharedWidth * (rowCost + (double) batch * tokens);
    return shared < perQuery;
  }

  /** The layout of each kind that some query routed, LORA first. */
  static List<Stack> stacks(
      List<List<RoutedEdit>> routed,
      Map<Long, ExpertCache.Entry> entries,
      int tokens,
      ApplierConfig.Layout layout,
      double rowCost) {
    List<Stack> stacks = new ArrayList<>(2);
    for (ExpertKind kind : ExpertKind.values()) {
      Stack s = stack(kind, routed, entries, tokens, layout, rowCost);
      if (s != null) {
        stacks.add(s);
      }
    }
    return stacks;
  }

  /**
   * The layout of one kind's experts, or null when no query routed one of that kind; {@link
   * ApplierConfig.Layout#AUTO} chooses by {@link #preferShared}.
   */
  private static Stack stack(
      ExpertKind kind,
      List<List<RoutedEdit>> routed,
      Map<Long, ExpertCache.Entry> entries,
      int tokens,
      ApplierConfig.Layout layout,
      double rowCost) {
    int batch = routed.size();
    List<List<ExpertCache.Entry>> perQuery = new ArrayList<>(batch);
    Map<Long, Integer> column = new LinkedHashMap<>(); // distinct expert -> its first column
    int w = 0;
    int r = 0;
    for (List<RoutedEdit> list : routed) {
      List<ExpertCache.Entry> mine = new ArrayList<>(list.size());
      int width = 0;
      for (RoutedEdit x : list) {
        ExpertCache.Entry e = entries.get(x.editId());
        if (e.kind == kind) {
          mine.add(e);
          width += e.rank;
          if (!column.containsKey(e.editId)) {
            column.put(e.editId, r);
            r += e.rank;
          }
        }
      }
      perQuery.add(mine);
      w = Math.max(w, width);
    }
    boolean masked = false;
    for (List<RoutedEdit> list : routed) {
      for (RoutedEdit x : list) {
        masked |= entries.get(x.editId()).kind == kind && mask(x, entries) != null;
      }
    }
    if (w == 0) {
      return null;
    }
    boolean share =
        layout == ApplierConfig.Layout.AUTO
            ? preferShared(batch, tokens, w, r, rowCost)
            : layout == ApplierConfig.Layout.SHARED;
    int width = share ? r : w;
    int st = masked ? tokens : 1;
    float[] scale = new float[batch * st * width];
    for (int q = 0; q < batch; q++) {
      int next = 0;
      for (RoutedEdit x : routed.get(q)) {
        ExpertCache.Entry e = entries.get(x.editId());
        if (e.kind == kind) {
          int off = share ? column.get(e.editId) : next;
          int[] region = mask(x, entries);
          for (int t = 0; t < st; t++) {
            if (region != null && !contains(region, t)) {
              continue; // outside the expert's region: it adds nothing there
            }
            int row = (q * st + t) * width;
            for (int c = row + off; c < row + off + e.rank; c++) {
              scale[c] += x.gate() * e.alpha; // += : an expert routed twice counts twice
            }
          }
          next += e.rank;
        }
      }
    }
    List<List<ExpertCache.Entry>> groups = perQuery;
    if (share) {
      List<ExpertCache.Entry> distinct = new ArrayList<>(column.size());
      for (long id : column.keySet()) {
        distinct.add(entries.get(id));
      }
      groups = List.of(distinct);
    }
    return new Stack(kind, width, groups, scale, st);
  }

  private static boolean contains(int[] sortedPositions, int t) {
    return java.util.Arrays.binarySearch(sortedPositions, t) >= 0;
  }

  /**
   * Refuses an expert whose token mask names a position the hidden states do not have: its edit was
   * made for longer sequences (another model, or a decode step of one token).
   */
  static void checkMasks(
      List<List<RoutedEdit>> routed, Map<Long, ExpertCache.Entry> entries, int tokens) {
    for (List<RoutedEdit> list : routed) {
      for (RoutedEdit x : list) {
        int[] m = mask(x, entries);
        if (m != null && m.length > 0 && m[m.length - 1] >= tokens) {
          throw new IllegalArgumentException(
              "edit "
                  + x.editId()
                  + " acts only on token"
                  + " positions "
                  + java.util.Arrays.toString(m)
                  + " but the hidden states have "
                  + tokens
                  + " positions per query; apply it to the sequences its mask was made"
                  + " for, or insert the edit again without token_mask");
        }
      }
    }
  }

  /** Where a routed expert acts in its query: its own positions, else its edit's mask. */
  static int[] mask(RoutedEdit x, Map<Long, ExpertCache.Entry> entries) {
    return x.positions() != null ? x.positions() : entries.get(x.editId()).tokenMask;
  }

  /**
   * Per query and position, whether some routed expert acts there: [batch, tokens, 1] boolean, or
   * null when every query's experts together cover every position (no expert masked, or the masks
   * of a query's experts cover its whole sequence). Positions no expert covers are returned bit for
   * bit, as unrouted queries are.
   */
  static boolean[] coverage(
      List<List<RoutedEdit>> routed, Map<Long, ExpertCache.Entry> entries, int tokens) {
    if (routed.stream().flatMap(List::stream).allMatch(x -> mask(x, entries) == null)) {
      return null; // no expert has a region: no per-position pass on the common path
    }
    boolean[] cover = new boolean[routed.size() * tokens];
    boolean all = true;
    for (int q = 0; q < routed.size(); q++) {
      for (RoutedEdit x : routed.get(q)) {
        int[] mask = mask(x, entries);
        for (int t = 0; t < tokens; t++) {
          cover[q * tokens + t] |= mask == null || contains(mask, t);
        }
      }
      for (int t = 0; t < tokens && !routed.get(q).isEmpty(); t++) {
        all &= cover[q * tokens + t];
      }
    }
    return all ? null : cover;
  }

  /** The stacked weights ({@link Stack#shape}) by one concatenation (one kernel on a GPU). */
  static NDArray concat(NDManager tmp, Stack s, boolean aSide, int d) {
    // An empty tmp tensor first, because a concatenation belongs to its first operand's manager
    // and the cached tensors belong to the cache.
    NDList parts = new NDList(tmp.zeros(new Shape(0, d)));
    for (List<ExpertCache.Entry> mine : s.groups()) {
      int width = 0;
      for (ExpertCache.Entry e : mine) {
        parts.add(aSide ? e.a : e.bt);
        width += e.rank;
      }
      if (width < s.width()) {
        parts.add(tmp.zeros(new Shape(s.width() - width, d)));
      }
    }
    return NDArrays.concat(parts, 0).reshape(s.shape(d));
  }

  /** The stacked weights by copies into a buffer that stays mapped (see {@link GatherBuffers}). */
  static NDArray fill(NDManager tmp, NDArray buffer, Stack s, boolean aSide, int d) {
    int groups = s.groups().size();
    int w = s.width();
    for (int q = 0; q < groups; q++) {
      long row = (long) q * w;
      for (ExpertCache.Entry e : s.groups().get(q)) {
        buffer.set(new NDIndex().addSliceDim(row, row + e.rank), aSide ? e.a : e.bt);
        row += e.rank;
      }
      if (row < (long) (q + 1) * w) {
        // Stale rows of an earlier call must not leak in, even times a zero gate (inf * 0).
        buffer.set(new NDIndex().addSliceDim(row, (long) (q + 1) * w), 0f);
      }
    }
    NDArray view = buffer.get(new NDIndex().addSliceDim(0, (long) groups * w));
    view.attach(tmp); // a view of a long-lived tensor starts in the long-lived manager
    return view.reshape(s.shape(d));
  }

  /** The baseline: one pair of small products per routed expert of each query. */
  static NDArray loop(
      NDManager tmp,
      NDArray h,
      NDArray use,
      List<List<RoutedEdit>> routed,
      Map<Long, ExpertCache.Entry> entries) {
    NDList outs = new NDList();
    for (int q = 0; q < routed.size(); q++) {
      NDArray hq = h.get(q);
      NDArray lnq = null;
      NDArray acc = null;
      for (RoutedEdit r : routed.get(q)) {
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
        u = u.mul(r.gate() * e.alpha);
        int[] region = mask(r, entries);
        if (region != null) {
          u = u.mul(maskColumn(tmp, region, Math.toIntExact(hq.getShape().get(0))));
        }
        NDArray dq = u.matMul(e.bt);
        acc = acc == null ? dq : acc.add(dq);
      }
      outs.add(acc == null ? hq : select(hq, use == null ? null : use.get(q), acc));
    }
    return NDArrays.stack(outs);
  }

  /** {@code use} narrowed to the positions some expert covers ({@link #coverage}; null: all). */
  static NDArray narrow(NDManager tmp, NDArray use, boolean[] cover, int batch, int tokens) {
    if (cover == null) {
      return use;
    }
    NDArray c = tmp.create(cover, new Shape(batch, tokens, 1));
    return use == null ? c : use.logicalAnd(c);
  }

  /** 1 at the mask's positions and 0 elsewhere, as a [tokens, 1] column. */
  private static NDArray maskColumn(NDManager tmp, int[] mask, int tokens) {
    float[] v = new float[tokens];
    for (int p : mask) {
      v[p] = 1f;
    }
    return tmp.create(v, new Shape(tokens, 1));
  }

  /**
   * h + delta where {@code use} is true (everywhere when it is null), h itself (bit for bit)
   * elsewhere.
   */
  static NDArray select(NDArray h, NDArray use, NDArray delta) {
    if (delta == null) {
      return h.duplicate();
    }
    if (use == null) {
      return h.add(delta);
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
