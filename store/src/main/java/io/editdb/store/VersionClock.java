package io.editdb.store;

import static io.editdb.store.StoreException.Kind.UNKNOWN_VERSION;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The latest version as readers see it, and the version a transaction is committing. A version is
 * visible to SQL from its H2 commit on but announced as the latest only after the index has applied
 * it, so a reader that takes the latest version and routes at it finds it in the index. A reader
 * that saw the committing version in SQL waits for its announcement instead of being told it does
 * not exist.
 */
final class VersionClock {
  private volatile long latest;
  private volatile long committing;
  private final Object announcements = new Object();
  private final Duration wait;

  VersionClock(Duration wait) {
    this.wait = wait;
  }

  /** The newest announced version; 0 for an empty store. */
  long latest() {
    return latest;
  }

  /**
   * The version whose H2 commit is under way or done but not yet announced (else at most latest).
   */
  long committing() {
    return committing;
  }

  /** Just before the H2 commit of {@code version}. */
  void committing(long version) {
    committing = version;
  }

  /** The H2 commit failed: nobody should wait for that version. */
  void commitFailed() {
    synchronized (announcements) {
      committing = latest;
      announcements.notifyAll();
    }
  }

  /** Makes {@code version} the latest and wakes the readers waiting for it. */
  void announce(long version) {
    synchronized (announcements) {
      latest = Math.max(latest, version);
      announcements.notifyAll();
    }
  }

  /**
   * Refuses a version that does not exist: valid ones are 0 (the empty origin) to the latest. A
   * version whose commit is under way is waited for, at most the write lock timeout, rather than
   * refused.
   */
  long check(long v) {
    long newest = latest;
    if (v > newest && v <= committing) {
      newest = awaitAnnounced(v);
    }
    if (v < 0 || v > newest) {
      throw new StoreException(
          UNKNOWN_VERSION,
          "version "
              + v
              + " does not exist; versions run"
              + " from 0 (empty) to "
              + newest
              + ". Use a version in that range");
    }
    return v;
  }

  private long awaitAnnounced(long v) {
    long deadline = System.nanoTime() + wait.toNanos();
    synchronized (announcements) {
      while (latest < v && v <= committing) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(announcements, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      return latest;
    }
  }
}
