package io.editdb.store;

import static io.editdb.store.StoreException.Kind.WRITE_LOCK_TIMEOUT;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The store's single writer slot, and the counters only its holder may use: one transaction writes
 * at a time, so versions, edit ids, layer ids and the history chain are dense and in commit order.
 * A {@link Transaction} reads the counters when it begins and hands its own back only once its
 * version is durable; a transaction that fails or rolls back hands back nothing.
 */
final class WriterSlot {

  /** What the next transaction continues from: ids to give out and the end of the history chain. */
  record Counters(long nextEditId, int nextLayerId, long lastSeq, String lastHash) {}

  private final Semaphore permit = new Semaphore(1, true);
  private final Duration timeout;
  // Replaced only by the holder of the slot; volatile so a test may read it between transactions.
  private volatile Counters counters;

  WriterSlot(Duration timeout, Counters counters) {
    this.timeout = timeout;
    this.counters = counters;
  }

  /** Takes the slot, waiting at most the write lock timeout; refuses if it is not free by then. */
  void acquire() {
    try {
      if (!permit.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new StoreException(
            WRITE_LOCK_TIMEOUT,
            "another transaction held the writer slot"
                + " for more than "
                + timeout
                + "; one transaction writes at a"
                + " time. Commit or roll back the other transaction, or retry");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException(WRITE_LOCK_TIMEOUT, "interrupted while waiting for the writer slot");
    }
  }

  /**
   * Takes the slot if it comes free within the write lock timeout; false if not (or interrupted).
   */
  boolean tryAcquire() {
    return tryAcquire(timeout);
  }

  /** Takes the slot if it comes free within {@code wait}; false if not (or interrupted). */
  boolean tryAcquire(Duration wait) {
    try {
      return permit.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  void release() {
    permit.release();
  }

  /** The counters the last committed transaction left (the holder's starting point). */
  Counters counters() {
    return counters;
  }

  /** Called by the holder once its version is durable: the next transaction continues from here. */
  void advance(Counters next) {
    counters = next;
  }
}
