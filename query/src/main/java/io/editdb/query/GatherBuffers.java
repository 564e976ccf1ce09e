package io.editdb.query;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * Reusable CPU buffers for the stacked expert weights of one call.
 *
 * <p>Why: a fresh tensor of tens of MiB per call is paged in by the kernel on every call (glibc
 * hands such blocks back to the OS when they are freed, and PyTorch keeps no CPU cache), and on
 * this workload that costs more than the arithmetic. Copying the experts into a buffer that stays
 * mapped avoids it. GPUs do not need this: PyTorch's CUDA allocator already reuses memory, and one
 * concatenation kernel beats many small copies there.
 *
 * <p>Each concurrent call holds its own buffer; a buffer grows to the largest call it served.
 */
final class GatherBuffers {

  /** Stacked A rows and B-transposed rows, both [capacity, width]. */
  static final class Buffer {
    final int width;
    final long capacity;
    final NDArray a;
    final NDArray bt;

    private Buffer(int width, long capacity, NDArray a, NDArray bt) {
      this.width = width;
      this.capacity = capacity;
      this.a = a;
      this.bt = bt;
    }

    long bytes() {
      return 8L * capacity * width;
    }
  }

  private final NDManager manager;
  private final Deque<Buffer> idle = new ArrayDeque<>();
  private boolean closed;

  GatherBuffers(NDManager manager) {
    this.manager = manager;
  }

  /** A buffer of at least {@code rows} rows of {@code width}, for the caller alone. */
  Buffer take(int width, long rows) {
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the expert applier is closed; create a new one");
      }
      for (Iterator<Buffer> it = idle.iterator(); it.hasNext(); ) {
        Buffer b = it.next();
        if (b.width == width && b.capacity >= rows) {
          it.remove();
          return b;
        }
      }
      // Replace an idle buffer of this width that is too small rather than keep both.
      for (Iterator<Buffer> it = idle.iterator(); it.hasNext(); ) {
        Buffer b = it.next();
        if (b.width == width) {
          it.remove();
          b.a.close();
          b.bt.close();
          break;
        }
      }
      // Headroom, so that slowly growing batches do not reallocate every call.
      long capacity = rows + rows / 4;
      NDArray a = manager.zeros(new Shape(capacity, width));
      NDArray bt = manager.zeros(new Shape(capacity, width));
      return new Buffer(width, capacity, a, bt);
    }
  }

  synchronized void give(Buffer b) {
    if (closed) {
      return; // the manager closed its tensors already
    }
    idle.push(b);
  }

  synchronized long idleBytes() {
    long sum = 0;
    for (Buffer b : idle) {
      sum += b.bytes();
    }
    return sum;
  }

  /** Marks the pool closed; the tensors go with the manager that owns them. */
  synchronized void close() {
    closed = true;
    idle.clear();
  }
}
