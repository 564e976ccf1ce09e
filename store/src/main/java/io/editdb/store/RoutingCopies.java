package io.editdb.store;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RoutingCopy}s of the index's large segments, made in the background on first use and
 * dropped when their segment closes, within a heap budget. A search asks for a segment's copy and
 * gets it if it is ready, else null (and the search uses Lucene's graph), so a query never waits
 * for one. A copy belongs to a segment's core: deletions and rollbacks (doc-value updates) make new
 * readers of the same core, and the copy serves them all, since the filter is applied per search.
 */
final class RoutingCopies {
  private static final Logger LOG = LoggerFactory.getLogger(RoutingCopies.class);

  /**
   * Segments with fewer keys than this are not copied: there the whole graph search costs tens of
   * microseconds, and a store right after a load holds many such segments for a few seconds.
   */
  static final int MIN_KEYS = 8_192;

  private record Key(IndexReader.CacheKey core, String field) {}

  /** A copy being made (null value not allowed: {@link #MAKING}) or made. */
  private final Map<Key, Object> copies = new ConcurrentHashMap<>();

  private static final Object MAKING = new Object();

  private final long budget;
  private final AtomicLong used = new AtomicLong();
  private final String location;
  private final ThreadPoolExecutor maker;

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
   * The segment's copy for the field if it is ready; else null, and the copy is made in the
   * background if the segment is large enough and the budget allows.
   */
  RoutingCopy get(LeafReader leaf, String field, int keys) {
    if (budget <= 0 || keys < MIN_KEYS) {
      return null;
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
    if (c == null && copies.putIfAbsent(key, MAKING) == null) {
      core.addClosedListener(closed -> drop(key));
      try {
        maker.execute(() -> make(leaf, key));
      } catch (RejectedExecutionException closing) {
        copies.remove(key);
      }
    }
    return null;
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
