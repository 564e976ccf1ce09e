package io.editdb.bench;

import io.editdb.cli.DirTrees;
import io.editdb.cli.Keys;
import io.editdb.store.EditStore;
import io.editdb.store.Layer;
import io.editdb.store.LayerOption;
import io.editdb.store.NewEdit;
import io.editdb.store.StoreConfig;
import io.editdb.store.StoreSession;
import io.editdb.store.WeightDtype;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * Store benchmark (issue 2): visual keys of 512 floats, text keys of 384, d_in = d_out = 1024, rank
 * 4. Measures insert throughput in commits of 1,000, single-edit commit latency, and the time to
 * open the store with an intact index versus a full rebuild from H2.
 *
 * <pre>java ... io.editdb.bench.StoreBench [edits=100000] [dir=target/storebench]</pre>
 */
public final class StoreBench {
  public static void main(String[] args) throws IOException {
    int edits = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Path dir = Path.of(args.length > 1 ? args[1] : "target/storebench");
    DirTrees.delete(dir);
    Keys visual = new Keys(512, Math.max(10, edits / 100), 0.5, 1);
    Keys text = new Keys(384, Math.max(10, edits / 100), 0.5, 2);
    float[][] ab = experts();
    float[] a = ab[0];
    float[] b = ab[1];
    System.out.println(
        Stats.fmt(
            "StoreBench: %,d edits, visual 512, text 384, d 1024, rank 4," + " f32 weights, JVM %s",
            edits, Runtime.version()));
    long insertNanos;
    Stats single = new Stats();
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      createLayer(s);
      long t0 = System.nanoTime();
      for (int done = 0; done < edits; ) {
        try (StoreSession ss = s.openSession("bench")) {
          for (int i = 0; i < 1000 && done < edits; i++, done++) {
            ss.insert(edit(visual, text, a, b, done));
          }
          ss.commit();
        }
        if (done % 10_000 == 0) {
          System.err.printf(Locale.ROOT, "\rinserted %,d", done);
        }
      }
      insertNanos = System.nanoTime() - t0;
      System.err.println();
      for (int i = 0; i < 300; i++) {
        long t = System.nanoTime();
        s.insert(edit(visual, text, a, b, i), "bench");
        single.add(System.nanoTime() - t);
      }
    }
    long t1 = System.nanoTime();
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      // intact index: nothing to catch up
    }
    long openIntact = System.nanoTime() - t1;
    DirTrees.delete(dir.resolve("index"));
    long t2 = System.nanoTime();
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      // index rebuilt from H2
    }
    long openRebuild = System.nanoTime() - t2;
    System.out.println();
    Stats.row("| %-38s | %18s |", "measure", "value");
    Stats.row("|%s|%s|", "-".repeat(40), "-".repeat(20));
    Stats.row(
        "| %-38s | %,18.0f |", "insert, commits of 1,000 (edits/s)", edits / (insertNanos / 1e9));
    Stats.row("| %-38s | %18.2f |", "single-edit commit, median (ms)", single.medianMs());
    Stats.row("| %-38s | %18.2f |", "single-edit commit, p99 (ms)", single.p99Ms());
    Stats.row("| %-38s | %18.2f |", "open, intact index (s)", openIntact / 1e9);
    Stats.row("| %-38s | %18.2f |", "open, full index rebuild (s)", openRebuild / 1e9);
    Stats.row("| %-38s | %17.1fx |", "rebuild / intact", (double) openRebuild / openIntact);
  }

  /** The bench's layer "bench": d_in = d_out = 1024, visual 512, text 384, rank up to 4. */
  static void createLayer(EditStore s) {
    s.createLayer(
        Layer.builder("bench", "m", "model.layers.1", 1024, 1024, 512, 384)
            .opt(LayerOption.MAX_RANK, 4)
            .build(),
        "bench");
  }

  /** The bench's expert: A (4 x 1024) and B (1024 x 4), small Gaussian weights, seed 3. */
  static float[][] experts() {
    Random r = new Random(3);
    return new float[][] {Keys.gaussian(r, 4 * 1024, 0.01), Keys.gaussian(r, 1024 * 4, 0.01)};
  }

  static NewEdit edit(Keys visual, Keys text, float[] a, float[] b, int i) {
    return edit(visual.next(), text.next(), a, b, i);
  }

  /** The i-th benchmark edit with the given keys. */
  static NewEdit edit(float[] visualKey, float[] textKey, float[] a, float[] b, int i) {
    return NewEdit.builder("bench", "question " + i, "answer " + i)
        .imageRef("img/" + i + ".jpg")
        .visualKey(visualKey)
        .textKey(textKey)
        .weights(a, b, 4, 1f, WeightDtype.F32)
        .author("bench")
        .build();
  }
}
