package io.editdb.query;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.editdb.store.ExpertKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One routing's experts gathered on the device once ({@link ExpertApplier#prepare}), for many calls
 * with that routing: each call runs only the products. Calls may run concurrently; closing frees
 * the stacked tensors, after which calls fail.
 */
public final class PreparedRouting implements AutoCloseable {
  private final List<List<RoutedEdit>> routed;
  private final int width;
  private final int tokens;
  private final boolean positional; // some expert has a token mask: calls need `tokens`
  private final boolean[] cover; // ExpertMath.coverage, null: every position
  private final NDManager owned;
  private final List<Stacked> stacks = new ArrayList<>(2);
  private final ExpertApplier applier;
  private final ReadWriteLock closing = new ReentrantReadWriteLock(); // calls read, close writes

  PreparedRouting(ExpertApplier applier, List<List<RoutedEdit>> routed, int width, int tokens) {
    this.applier = applier;
    this.routed = List.copyOf(routed.stream().map(List::copyOf).toList());
    this.width = width;
    this.tokens = tokens;
    long[] ids = ExpertApplier.distinctIds(routed);
    Map<Long, ExpertCache.Entry> entries = applier.cache.acquire(ids, applier.loader, width);
    NDManager m = applier.manager.newSubManager();
    try {
      ExpertMath.checkMasks(routed, entries, tokens);
      this.positional =
          routed.stream().flatMap(List::stream).anyMatch(x -> ExpertMath.mask(x, entries) != null);
      this.cover = ExpertMath.coverage(routed, entries, tokens);
      // Each call reads the stacked weights but copies nothing: only reading costs.
      for (ExpertMath.Stack s :
          ExpertMath.stacks(
              routed, entries, tokens, applier.config().layout(), ExpertMath.READ_COST)) {
        NDArray a = ExpertMath.concat(m, s, true, width);
        NDArray bt = ExpertMath.concat(m, s, false, width);
        NDArray scale = m.create(s.scale(), s.scaleShape());
        stacks.add(new Stacked(s.kind(), a, bt, scale));
      }
    } catch (RuntimeException e) {
      m.close();
      throw e;
    } finally {
      applier.cache.release(entries.values());
    }
    this.owned = m;
  }

  /** The queries this routing was prepared for. */
  public int batch() {
    return routed.size();
  }

  /** {@link ExpertApplier#apply(NDArray, List, NDArray)} with the prepared routing. */
  public NDArray apply(NDArray hidden, NDArray mask) {
    Objects.requireNonNull(hidden, "hidden");
    ensureOpen();
    Shape shape = hidden.getShape();
    if (shape.dimension() == 3) { // else tensorCall says what a tensor must be
      checkBatch(shape.get(0), shape.get(2));
    }
    return applier.tensorCall(hidden, routed, mask, this::run);
  }

  /** {@link ExpertApplier#apply(float[], int, int, int, List, boolean[][])}, prepared. */
  public float[] apply(float[] hidden, int tokens, boolean[][] masks) {
    ensureOpen();
    return applier.arrayCall(hidden, batch(), tokens, width, routed, masks, this::run);
  }

  private void ensureOpen() {
    if (!owned.isOpen()) {
      throw new IllegalStateException("this prepared routing is closed; prepare it again");
    }
  }

  private NDArray run(NDManager tmp, NDArray h, NDArray use) {
    closing.readLock().lock();
    try {
      ensureOpen(); // again: a close may have come since the call began
      long t = h.getShape().get(1);
      if (positional && t != tokens) {
        throw new IllegalArgumentException(
            "this routing was prepared for "
                + tokens
                + " positions per query and some of its experts act only on some of them; got "
                + t
                + " positions; prepare it for the sequences it is applied to");
      }
      use = ExpertMath.narrow(tmp, use, cover, batch(), tokens);
      NDArray delta = null;
      for (Stacked s : stacks) {
        NDArray kindDelta = ExpertMath.products(tmp, h, s.kind(), s.a(), s.bt(), s.scale());
        delta = delta == null ? kindDelta : delta.add(kindDelta);
      }
      return ExpertMath.select(h, use, delta);
    } finally {
      closing.readLock().unlock();
    }
  }

  private void checkBatch(long batch, long d) {
    if (batch != batch() || d != width) {
      throw new IllegalArgumentException(
          "hidden states must be ["
              + batch()
              + ", tokens, "
              + width
              + "] for this prepared"
              + " routing; got batch "
              + batch
              + ", width "
              + d
              + "; prepare a routing for this batch");
    }
  }

  @Override
  public void close() {
    closing.writeLock().lock();
    try {
      owned.close();
    } finally {
      closing.writeLock().unlock();
    }
  }

  /** One kind's stacked experts with its weights and per-query scales on the device. */
  private record Stacked(ExpertKind kind, NDArray a, NDArray bt, NDArray scale) {}
}
