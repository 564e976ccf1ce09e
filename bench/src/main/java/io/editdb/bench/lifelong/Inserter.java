package io.editdb.bench.lifelong;

import io.editdb.cli.EditCase;
import io.editdb.cli.VisualKeys;
import io.editdb.store.EditStore;
import io.editdb.store.Layer;
import io.editdb.store.NewEdit;
import io.editdb.store.StoreSession;
import io.editdb.store.WeightDtype;
import java.util.List;

/** Builds the benchmark's edits: real prompt, target and keys; a tiny placeholder expert. */
final class Inserter {
  // Rank 1 at d_in = d_out = 8: the expert's numbers play no part in routing, only its keys do.
  private static final float[] WEIGHTS = {1, 0, 0, 0, 0, 0, 0, 0};

  private Inserter() {}

  static NewEdit edit(Layer layer, EditCase c, VisualKeys visual, TextKeys text) {
    return NewEdit.builder(layer.name(), c.src(), c.alt())
        .imageRef(c.image())
        .visualKey(layer.hasVisual() ? visual.image(c.image()) : null)
        .textKey(text.get(c.src()))
        .weights(WEIGHTS, WEIGHTS, 1, 1f, WeightDtype.F32)
        .author("lifelong-bench")
        .reason("record " + c.index())
        .build();
  }

  /** Inserts every case in one commit (where only the final state matters); returns the ids. */
  static long[] insertAll(
      EditStore store, Layer layer, List<EditCase> cases, VisualKeys visual, TextKeys text) {
    long[] ids = new long[cases.size()];
    try (StoreSession s = store.openSession("lifelong-bench")) {
      for (int i = 0; i < ids.length; i++) {
        ids[i] = s.insert(edit(layer, cases.get(i), visual, text));
      }
      s.commit();
    }
    return ids;
  }
}
