package io.editdb.store;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.VectorEncoding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RoutingCopy}s of the index's graph-searched segments, dropped when their segment
 * closes, within a heap budget. In a store that has searched its keys since it opened, a segment
 * gets its copy before it is first searched: a merge makes the merged segment's copy on its own
 * thread before the segment lands ({@link #prepare} as Lucene's merged-segment warmer), and a
 * refresh makes the copies of the segments it is about to show (a commit's new segment). A store
 * that has not searched yet (a bulk import) makes none: its segments get theirs on first use, as a
 * store just opened does: a small segment's on the searching thread, a large one's in the
 * background while Lucene's graph serves it, so no query waits for a large one ({@link #get}). A
 * copy belongs to a segment's core: deletions and rollbacks (doc-value updates) make new readers of
 * the same core, and the copy serves them all, since the filter is applied per search.
 */
final class RoutingCopies {
  private static final Logger LOG = LoggerFactory.getLogger(RoutingCopies.class);

  /**
   * Segments with fewer keys than this are not copied: they are scanned ({@link
   * SegmentSearch#EXACT_LEAF}).
   */
  static final int MIN_KEYS = SegmentSearch.EXACT_LEAF + 1;

  private record Key(IndexReader.CacheKey core, String field) {}

  /** A copy being made (null value not allowed: {@link #MAKING}) or made. */
  private final Map<Key, Object> copies = new ConcurrentHashMap<>();

  private static final Object MAKING = new Object();

  private final long budget;
  private final AtomicLong used = new AtomicLong();
  private final String location;
  private final ThreadPoolExecutor maker;

  /** Whether a search has asked for a copy since the index opened (see {@link #prepare}). */
  private volatile boolean searched;

  RoutingCopies(long budgetBytes, String location) {
    this.budget = RoutingCopy.AVAILABLE ? budgetBytes : 0;
    this.location = location;
    this.maker =
        new ThreadPoolExecutor(
            1,
            1,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "editdb-routing-copy");
              t.setDaemon(true);
              return t;
            });
    maker.allowCoreThreadTimeOut(true);
  }

  /** Heap bytes the copies hold now. */
  long bytes() {
    return used.get();
  }

  /**
   * Segments with fewer keys than this that have no copy yet when first searched (a store just
   * opened, or one that had not searched) get theirs on the searching thread, once (5-9 us per key
   * measured, so up to 40-75 ms): a route and an explanation of the same query then walk the same
   * graph. Larger ones are copied in the background, and Lucene's graph serves them meanwhile.
   */
  static final int BACKGROUND_KEYS = 8_192;

  /**
   * The segment's copy for the field if it is ready; else one made now if the segment is small
   * ({@link #BACKGROUND_KEYS}); else null, and the copy is made in the background if the segment is
   * large enough and the budget allows.
   */
  RoutingCopy get(LeafReader leaf, String field, int keys) {
    if (!searched) { // read first: no volatile write on every segment of every query
      searched = true;
    }
    IndexReader.CacheHelper core = leaf.getCoreCacheHelper();
    if (core == null) {
      return null;
    }
    Key key = new Key(core.getKey(), field);
    Object c = copies.get(key);
    if (c instanceof RoutingCopy copy) {
      return copy;
    }
    Key claimed = c == null ? claim(leaf, field, keys) : null;
    if (claimed != null && keys < BACKGROUND_KEYS) {
      make(leaf, claimed);
      return copies.get(key) instanceof RoutingCopy copy ? copy : null;
    }
    if (claimed != null) {
      try {
        maker.execute(() -> make(leaf, claimed));
      } catch (RejectedExecutionException closing) {
        copies.remove(claimed);
      }
    }
    return null;
  }

  /**
   * A segment about to be shown (a refresh's) or to land (a merge's): its copies are made now, on
   * the caller's thread, if the store has searched since it opened; else left to its first search.
   * Copies cost 5-9 us per key (6 ms for a commit of 1,000 edits), about 5% of a bulk load's CPU
   * when every commit and merge makes them (JFR, `./editdb bench sql 0 0 0 20000`): a load with no
   * searches does not pay that.
   */
  void prepare(LeafReader leaf) {
    if (searched) {
      makeNow(leaf);
    }
  }

  /**
   * Makes the copies of the segment's graphs that are not made or being made, now, on the caller's
   * thread. Never throws: a copy that fails is left to Lucene's graph, as in the background.
   */
  void makeNow(LeafReader leaf) {
    try {
      for (FieldInfo fi : leaf.getFieldInfos()) {
        if (fi.getVectorDimension() > 0 && fi.getVectorEncoding() == VectorEncoding.FLOAT32) {
          FloatVectorValues values = leaf.getFloatVectorValues(fi.name);
          Key claimed = values == null ? null : claim(leaf, fi.name, values.size());
          if (claimed != null) {
            make(leaf, claimed);
          }
        }
      }
    } catch (IOException | RuntimeException e) { // a reader closed meanwhile
      LOG.debug("{} - routing copies not made now: {}", location, e.toString());
    }
  }

  /**
   * Marks the segment's copy for the field as being made by the caller and returns its key; null
   * when it needs none (too small, no budget) or it is made or being made already.
   */
  private Key claim(LeafReader leaf, String field, int keys) {
    IndexReader.CacheHelper core = leaf.getCoreCacheHelper();
    if (budget <= 0 || keys < MIN_KEYS || core == null) {
      return null;
    }
    Key key = new Key(core.getKey(), field);
    if (copies.putIfAbsent(key, MAKING) != null) {
      return null;
    }
    core.addClosedListener(closed -> drop(key));
    return key;
  }

  private void make(LeafReader leaf, Key key) {
    try {
      if (!copies.containsKey(key)) {
        return; // the segment closed before its turn
      }
      RoutingCopy copy = RoutingCopy.of(leaf, key.field());
      if (copy == null || used.addAndGet(copy.bytes()) > budget) {
        if (copy != null) {
          used.addAndGet(-copy.bytes());
          LOG.info(
              "{} - routing copy of a segment of {} keys ({} MB) is over the budget of {} MB;"
                  + " Lucene's graph search serves it",
              location,
              copy.size(),
              copy.bytes() >> 20,
              budget >> 20);
        }
        return; // the marker stays: no second try for this segment
      }
      if (copies.replace(key, MAKING, copy)) {
        return;
      }
      used.addAndGet(-copy.bytes()); // closed while it was made
    } catch (Exception | OutOfMemoryError e) { // a closed reader, or a heap too small
      LOG.warn(
          "{} - routing copy of {} failed; Lucene's graph search serves it: {}",
          location,
          key.field(),
          e.toString());
    }
  }

  private void drop(Key key) {
    if (copies.remove(key) instanceof RoutingCopy copy) {
      used.addAndGet(-copy.bytes());
    }
  }

  /** Waits until the copies asked for so far are made (or refused). */
  void await() {
    try {
      maker.submit(() -> {}).get(); // one maker thread, in order: every earlier copy is done
    } catch (RejectedExecutionException closing) {
      // the index is closing: nothing to wait for
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Stops making copies (the index is closing); those made are dropped with their segments. */
  void close() {
    maker.shutdownNow();
  }
}
