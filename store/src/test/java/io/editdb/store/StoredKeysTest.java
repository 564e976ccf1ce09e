package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.util.VectorUtil;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stored keys scored exactly: the same keys in a segment on disk (read in place from the memory
 * map, four at a time) and in memory (copied) give the same floats, bit for bit, one at a time or
 * four at a time, in any order; and those floats are the dot products (against a double-precision
 * sum). Dimensions with and without a tail past the vector lanes.
 */
class StoredKeysTest {
  private final long seed = Fixtures.seed();
  private final Random r = new Random(seed);

  @TempDir Path tmp;

  private float[][] write(Directory dir, int n, int dim) throws IOException {
    float[][] keys = new float[n][];
    try (IndexWriter w = new IndexWriter(dir, new IndexWriterConfig())) {
      for (int i = 0; i < n; i++) {
        keys[i] = Fixtures.unit(r, dim);
        Document d = new Document();
        d.add(new KnnFloatVectorField("v", keys[i], VectorSimilarityFunction.DOT_PRODUCT));
        w.addDocument(d);
      }
      w.forceMerge(1);
    }
    return keys;
  }

  @ParameterizedTest
  @ValueSource(ints = {512, 70, 3})
  void onDiskAndInMemoryTheSameExactFloats(int dim) throws IOException {
    int n = 301; // not a multiple of 4
    Directory disk = new MMapDirectory(tmp.resolve("d" + dim));
    float[][] keys = write(disk, n, dim);
    Directory mem = new ByteBuffersDirectory();
    r.setSeed(seed); // the same keys again
    write(mem, n, dim);
    float[] q = Fixtures.unit(r, dim);
    try (DirectoryReader onDisk = DirectoryReader.open(disk);
        DirectoryReader inMem = DirectoryReader.open(mem)) {
      FloatVectorValues dv = onDisk.leaves().get(0).reader().getFloatVectorValues("v");
      FloatVectorValues mv = inMem.leaves().get(0).reader().getFloatVectorValues("v");
      StoredKeys d = new StoredKeys(dv);
      StoredKeys m = new StoredKeys(mv);
      assertTrue(d.inPlace(), "a memory-mapped segment is read in place");
      assertFalse(m.inPlace(), "a heap segment is copied");
      int[] ords = new int[n];
      for (int i = 0; i < n; i++) {
        ords[i] = (i * 37) % n; // out of order, as a graph search's candidates are
      }
      float[] four = new float[n];
      d.dots(ords, n, q, four);
      float[] fourMem = new float[n];
      m.dots(ords, n, q, fourMem);
      for (int i = 0; i < n; i++) {
        int ord = ords[i];
        float one = d.dot(ord, q);
        assertEquals(Float.floatToIntBits(one), Float.floatToIntBits(four[i]), "seed " + seed);
        assertEquals(Float.floatToIntBits(one), Float.floatToIntBits(m.dot(ord, q)));
        assertEquals(Float.floatToIntBits(one), Float.floatToIntBits(fourMem[i]));
        // ords are docs here (every document has a key); the value is the dot product
        assertEquals(VectorUtil.dotProduct(keys[ord], q), one, 1e-5f, "seed " + seed);
        double exact = 0;
        for (int j = 0; j < dim; j++) {
          exact += (double) keys[ord][j] * q[j];
        }
        assertEquals(exact, one, 1e-5, "seed " + seed);
      }
    } finally {
      disk.close();
      mem.close();
    }
  }
}
