package io.editdb.query;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.editdb.store.ExpertKind;
import io.editdb.store.ExpertWeights;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Expert tensors on the device, keyed by edit id, bounded by bytes, least recently used evicted.
 *
 * <p>An edit's weights never change, so an entry never goes stale; it only ages out. A call pins
 * the entries it uses: an entry evicted while pinned leaves the map at once (its bytes stop
 * counting) but its tensors are closed only when the last call using it releases it, so a
 * concurrent call never multiplies with a closed tensor.
 *
 * <p>Acquiring is all or nothing: every missing expert is loaded and checked before any of them
 * enters the cache, so a refused call leaves the cache as it was.
 */
final class ExpertCache implements AutoCloseable {

  /** One expert on the device: A (r x d) and B transposed (r x d), so both gather by rows. */
  static final class Entry {
    final long editId;
    final ExpertKind kind;
    final int rank;
    final int width;
    final float alpha;
    final int[] tokenMask; // null: every position
    final NDArray a;
    final NDArray bt;
    final long bytes;
    private int pins;
    private boolean evicted;

    private Entry(ExpertWeights w, NDArray a, NDArray bt) {
      this.editId = w.editId();
      this.kind = w.kind();
      this.rank = w.rank();
      this.width = w.dIn();
      this.alpha = w.alpha();
      this.tokenMask = w.tokenMask();
      this.a = a;
      this.bt = bt;
      this.bytes = w.f32Bytes();
    }

    private void closeTensors() {
      a.close();
      bt.close();
    }
  }

  private final NDManager manager;
  private final long maxBytes;
  // Insertion order, refreshed by remove-and-put on use: a plain lookup must not count as use,
  // because a refused call must leave the order as it was.
  private final LinkedHashMap<Long, Entry> map = new LinkedHashMap<>();
  private long bytes;
  private long hits;
  private long misses;
  private long evictions;
  private boolean closed;

  ExpertCache(NDManager manager, long maxBytes) {
    this.manager = manager;
    this.maxBytes = maxBytes;
  }

  /**
   * Pins the experts of {@code ids}, loading the missing ones with {@code loader}, and returns them
   * by id. Each must have d_in = d_out = {@code width}. Throws IllegalArgumentException, with
   * nothing changed, when one is unknown or does not fit.
   */
  Map<Long, Entry> acquire(long[] ids, LongFunction<ExpertWeights> loader, int width) {
    Map<Long, Entry> got = new HashMap<>();
    List<Long> missing = new ArrayList<>();
    synchronized (this) {
      ensureOpen();
      for (long id : ids) {
        Entry e = map.get(id);
        if (e != null) {
          e.pins++;
          got.put(id, e);
        } else {
          missing.add(id);
        }
      }
    }
    List<Entry> loaded = new ArrayList<>();
    boolean success = false;
    try {
      for (Entry e : got.values()) {
        checkWidth(e.editId, e.width, e.width, width);
      }
      List<ExpertWeights> weights = new ArrayList<>();
      for (long id : missing) {
        weights.add(load(id, loader, width));
      }
      // Tensors are created only once every expert passed, so a refusal allocates nothing.
      for (ExpertWeights w : weights) {
        loaded.add(toDevice(w));
      }
      success = true;
    } finally {
      if (!success) {
        for (Entry e : loaded) {
          e.closeTensors();
        }
        release(got.values());
      }
    }
    synchronized (this) {
      ensureOpen(); // closing closed the manager, and with it the tensors just made
      for (Entry e : got.values()) {
        hits++;
        if (!e.evicted && map.remove(e.editId) != null) {
          map.put(e.editId, e);
        }
      }
      for (Entry e : loaded) {
        misses++;
        Entry raced = map.get(e.editId);
        if (raced != null) {
          // Another call loaded the same edit meanwhile; keep one copy.
          e.closeTensors();
          e = raced;
          map.remove(e.editId);
          map.put(e.editId, e);
        } else {
          map.put(e.editId, e);
          bytes += e.bytes;
        }
        e.pins++;
        got.put(e.editId, e);
      }
      evictOverflow();
    }
    return got;
  }

  /** Unpins entries from {@link #acquire}; closes the evicted ones nobody uses any more. */
  synchronized void release(Iterable<Entry> entries) {
    for (Entry e : entries) {
      e.pins--;
      if (e.pins == 0 && e.evicted) {
        e.closeTensors();
      }
    }
  }

  synchronized ExpertApplier.CacheStats stats() {
    return new ExpertApplier.CacheStats(hits, misses, evictions, bytes, map.size(), maxBytes);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    map.clear();
    bytes = 0;
    // The manager owns every tensor still open, pinned or not.
    manager.close();
  }

  private void evictOverflow() {
    Iterator<Entry> it = map.values().iterator();
    while (bytes > maxBytes && it.hasNext()) {
      Entry e = it.next();
      it.remove();
      bytes -= e.bytes;
      evictions++;
      e.evicted = true;
      if (e.pins == 0) {
        e.closeTensors();
      }
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the expert applier is closed; create a new one");
    }
  }

  private static ExpertWeights load(long id, LongFunction<ExpertWeights> loader, int width) {
    ExpertWeights w;
    try {
      w = loader.apply(id);
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException(
          "routed edit must have an expert; edit_id="
              + id
              + " could not be loaded ("
              + ex
              + "); route only edits of this layer that exist",
          ex);
    }
    if (w == null) {
      throw new IllegalArgumentException(
          "routed edit must have an expert; edit_id="
              + id
              + " is unknown; route only edits of this layer that exist");
    }
    if (w.editId() != id) {
      throw new IllegalArgumentException(
          "the loader must return the expert of the edit asked for; asked edit_id="
              + id
              + ", got edit_id="
              + w.editId()
              + "; fix the loader");
    }
    if (w.kind() == null) {
      throw new IllegalArgumentException(
          "an expert must have a kind; edit_id=" + id + " has none; fix the loader");
    }
    checkWidth(id, w.dIn(), w.dOut(), width);
    if (!Float.isFinite(w.alpha()) || !allFinite(w.a()) || !allFinite(w.b())) {
      throw new IllegalArgumentException(
          "expert weights and alpha must be finite; edit_id="
              + id
              + " has NaN or infinite values; re-insert the edit with finite weights");
    }
    return w;
  }

  private static void checkWidth(long id, int dIn, int dOut, int width) {
    if (dIn != width || dOut != width) {
      throw new IllegalArgumentException(
          "expert d_in and d_out must equal the hidden width for the residual add; edit_id="
              + id
              + " has d_in="
              + dIn
              + ", d_out="
              + dOut
              + " but hidden states are "
              + width
              + " wide; route only edits of the layer these hidden states come from");
    }
  }

  private static boolean allFinite(float[] v) {
    for (float x : v) {
      if (!Float.isFinite(x)) {
        return false;
      }
    }
    return true;
  }

  private Entry toDevice(ExpertWeights w) {
    int r = w.rank();
    int d = w.dOut();
    float[] b = w.b();
    float[] bt = new float[b.length];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < r; j++) {
        bt[j * d + i] = b[i * r + j];
      }
    }
    NDArray a = null;
    NDArray btArr = null;
    boolean success = false;
    try {
      // Outside the cache's lock: a host-to-device copy can take a while, and DJL's managers
      // keep their resources in concurrent maps.
      a = manager.create(w.a(), new Shape(r, w.dIn()));
      btArr = manager.create(bt, new Shape(r, d));
      success = true;
      return new Entry(w, a, btArr);
    } finally {
      if (!success) {
        if (a != null) {
          a.close();
        }
        if (btArr != null) {
          btArr.close();
        }
      }
    }
  }
}
