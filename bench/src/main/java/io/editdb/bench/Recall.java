package io.editdb.bench;

import java.util.Set;

/** Recall of the sets a search found against the true ones, summed over queries. */
final class Recall {
  private long found;
  private long wanted;

  <T> void add(Set<T> truth, Set<T> got) {
    wanted += truth.size();
    for (T t : got) {
      if (truth.contains(t)) {
        found++;
      }
    }
  }

  /** Found over wanted; 1 when nothing was wanted. */
  double value() {
    return wanted == 0 ? 1.0 : (double) found / wanted;
  }
}
