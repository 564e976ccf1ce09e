package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene103.Lucene103Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.AcceptDocs;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopKnnCollector;
import org.apache.lucene.search.knn.KnnSearchStrategy;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.FixedBitSet;
import org.apache.lucene.util.VectorUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A routing copy walks the graph Lucene built, on 8-bit codes: on one real segment (clustered keys
 * of 70 floats, so the vector loop has a tail; a seventh of the documents without a key, so ords
 * and documents differ; an eleventh deleted) it returns only accepted documents that have a key,
 * every one of them when its beam covers the segment, the true best about as often as Lucene's own
 * search of the same graph, and nothing when the walk would pass its visit limit.
 */
class RoutingCopyTest {
  private static final int N = 3_000;
  private static final int DIM = 70;
  private static final int K = 16;
  private final long seed = Fixtures.seed();
  private final Random r = new Random(seed);
  private final float[][] keys = new float[N][];
  private final float[][] centres = new float[40][];
  private Directory dir;

  @BeforeEach
  void index() throws IOException {
    assertTrue(RoutingCopy.AVAILABLE, "the tests run with the vector module (pom's argLine)");
    for (int c = 0; c < centres.length; c++) {
      centres[c] = Fixtures.unit(r, DIM);
    }
    KnnVectorsFormat hnsw = new HnswFormat(16, 100);
    dir = new ByteBuffersDirectory();
    try (IndexWriter w =
        new IndexWriter(
            dir,
            new IndexWriterConfig()
                .setMergePolicy(NoMergePolicy.INSTANCE)
                .setRAMBufferSizeMB(256)
                .setCodec(
                    new Lucene103Codec() {
                      @Override
                      public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return hnsw;
                      }
                    }))) {
      for (int i = 0; i < N; i++) {
        Document d = new Document();
        d.add(new StringField("id", Integer.toString(i), Field.Store.NO));
        if (i % 7 != 0) {
          keys[i] = near(centres[r.nextInt(centres.length)]);
          d.add(new KnnFloatVectorField("v", keys[i], VectorSimilarityFunction.DOT_PRODUCT));
        }
        w.addDocument(d);
      }
      w.commit(); // one segment
      for (int i = 0; i < N; i += 11) {
        w.deleteDocuments(new Term("id", Integer.toString(i)));
      }
      w.commit();
    }
  }

  @AfterEach
  void close() throws IOException {
    dir.close();
  }

  private float[] near(float[] centre) {
    float[] v = centre.clone();
    for (int d = 0; d < DIM; d++) {
      v[d] += (float) (0.5 * r.nextGaussian() / Math.sqrt(DIM));
    }
    VectorUtil.l2normalize(v);
    return v;
  }

  private LeafReader leaf(DirectoryReader reader) {
    assertEquals(1, reader.leaves().size());
    return reader.leaves().get(0).reader();
  }

  /**
   * A copy asked for by a search: made on the searching thread for a small segment, so the search
   * that asks walks it (and a route and an explanation of one query walk the same graph); made in
   * the background for a large one (the size the caller reports), the search getting none
   * meanwhile.
   */
  @Test
  void aSmallSegmentsCopyIsMadeForTheSearchThatAsks() throws IOException {
    try (DirectoryReader reader = DirectoryReader.open(dir)) {
      LeafReader leaf = leaf(reader);
      int keys = leaf.getFloatVectorValues("v").size();
      assertTrue(keys < RoutingCopies.BACKGROUND_KEYS);
      RoutingCopies small = new RoutingCopies(1L << 30, "small");
      RoutingCopies large = new RoutingCopies(1L << 30, "large");
      try {
        RoutingCopy now = small.get(leaf, "v", keys);
        assertNotNull(now, "the first search of a small segment walked no copy");
        assertSame(now, small.get(leaf, "v", keys), "a copy is made once");
        assertNull(
            large.get(leaf, "v", RoutingCopies.BACKGROUND_KEYS),
            "a large segment's copy was made on the searching thread");
        large.await();
        assertNotNull(large.get(leaf, "v", RoutingCopies.BACKGROUND_KEYS));
      } finally {
        small.close();
        large.close();
      }
    }
  }

  @Test
  void aBeamAsWideAsTheSegmentReturnsEveryAcceptedKey() throws IOException {
    try (DirectoryReader reader = DirectoryReader.open(dir)) {
      LeafReader leaf = leaf(reader);
      RoutingCopy copy = RoutingCopy.of(leaf, "v");
      assertNotNull(copy, "seed " + seed);
      assertEquals(N - (N + 6) / 7, copy.size());
      FixedBitSet half = new FixedBitSet(N);
      for (int i = 0; i < N; i++) {
        if (r.nextBoolean()) {
          half.set(i);
        }
      }
      for (Bits accept : new Bits[] {leaf.getLiveDocs(), half}) {
        Set<Integer> expected = new HashSet<>();
        for (int i = 0; i < N; i++) {
          if (keys[i] != null && accept.get(i)) {
            expected.add(i);
          }
        }
        int[] docs = copy.search(keys[1], N, accept, Integer.MAX_VALUE, Float.NEGATIVE_INFINITY);
        Set<Integer> got = asSet(docs);
        assertEquals(docs.length, got.size(), "a document returned twice, seed " + seed);
        Set<Integer> missing = new HashSet<>(expected);
        missing.removeAll(got);
        got.removeAll(expected);
        assertTrue(
            missing.isEmpty() && got.isEmpty(),
            missing.size()
                + " accepted missing, "
                + got.size()
                + " not accepted returned, seed "
                + seed);
      }
    }
  }

  @Test
  void findsTheBestKeysAsOftenAsLuceneOnTheSameGraph() throws IOException {
    try (DirectoryReader reader = DirectoryReader.open(dir)) {
      LeafReader leaf = leaf(reader);
      RoutingCopy copy = RoutingCopy.of(leaf, "v");
      Bits live = leaf.getLiveDocs();
      int wanted = 0;
      int byCopy = 0;
      int byLucene = 0;
      for (int q = 0; q < 100; q++) {
        float[] query = near(centres[r.nextInt(centres.length)]);
        Set<Integer> truth = best(allLive(live), query);
        int[] mine = copy.search(query, 24, live, Integer.MAX_VALUE, Float.NEGATIVE_INFINITY);
        for (int doc : mine) {
          assertTrue(keys[doc] != null && live.get(doc), "doc " + doc + ", seed " + seed);
        }
        TopKnnCollector c =
            new TopKnnCollector(24, Integer.MAX_VALUE, KnnSearchStrategy.Hnsw.DEFAULT);
        leaf.searchNearestVectors("v", query, c, AcceptDocs.fromLiveDocs(live, N));
        ScoreDoc[] found = c.topDocs().scoreDocs; // (topDocs empties the collector)
        int[] lucene = new int[found.length];
        for (int i = 0; i < found.length; i++) {
          lucene[i] = found[i].doc;
        }
        wanted += truth.size();
        byCopy += overlap(best(mine, query), truth);
        byLucene += overlap(best(lucene, query), truth);
      }
      double copyRecall = byCopy / (double) wanted;
      double luceneRecall = byLucene / (double) wanted;
      assertTrue(
          copyRecall >= 0.95 && copyRecall >= luceneRecall - 0.02,
          "recall " + copyRecall + " against Lucene's " + luceneRecall + ", seed " + seed);
    }
  }

  @Test
  void aWalkPastItsVisitLimitReturnsNothing() throws IOException {
    try (DirectoryReader reader = DirectoryReader.open(dir)) {
      LeafReader leaf = leaf(reader);
      RoutingCopy copy = RoutingCopy.of(leaf, "v");
      assertNull(copy.search(keys[2], 48, leaf.getLiveDocs(), 40, Float.NEGATIVE_INFINITY));
      assertNotNull(copy.search(keys[2], 48, leaf.getLiveDocs(), N, Float.NEGATIVE_INFINITY));
    }
  }

  @Test
  void aFloorKeepsTheWalkNearTheKeysAboveIt() throws IOException {
    try (DirectoryReader reader = DirectoryReader.open(dir)) {
      LeafReader leaf = leaf(reader);
      RoutingCopy copy = RoutingCopy.of(leaf, "v");
      Bits live = leaf.getLiveDocs();
      // A beam of 128 against clusters of about 64 keys at ~0.8 (the others at ~0): without a
      // floor the walk fills its beam from other clusters; with one at 0.5 it stays in its own.
      int beam = 128;
      float keep = 0.7f;
      float floor = keep - KeySearch.WALK_MARGIN;
      long visitsWithout = 0;
      long visitsWith = 0;
      int keptWithout = 0;
      int keptWith = 0;
      for (int q = 0; q < 50; q++) {
        float[] query = near(centres[r.nextInt(centres.length)]);
        float none = Float.NEGATIVE_INFINITY;
        int[] full = copy.search(query, beam, live, N, none);
        Set<Integer> without = above(full, query, keep);
        int[] found = copy.search(query, beam, live, N, floor);
        Set<Integer> with = above(found, query, keep);
        // keys kept on the way in, before the walk reached the floor, are not returned (the
        // caller would read each from disk to drop it); 0.01 covers the codes' rounding
        Set<Integer> belowFloor = asSet(found);
        belowFloor.removeAll(above(found, query, floor - 0.01f));
        assertEquals(Set.of(), belowFloor, "keys below the floor returned, seed " + seed);
        assertTrue(without.containsAll(with), "the floor walk found a key the full walk did not");
        keptWithout += without.size();
        keptWith += with.size();
        visitsWithout += visits(copy, query, beam, live, none);
        visitsWith += visits(copy, query, beam, live, floor);
        // a floor no key reaches leaves the walk as it was
        assertEquals(asSet(full), asSet(copy.search(query, beam, live, N, 2f)), "seed " + seed);
      }
      assertTrue(
          keptWith >= 0.99 * keptWithout,
          keptWith + " keys above " + keep + " with the floor, " + keptWithout + " without");
      assertTrue(
          visitsWith < 0.6 * visitsWithout,
          visitsWith + " keys scored with the floor, " + visitsWithout + " without, seed " + seed);
    }
  }

  /** The keys a walk scores: the least visit limit at which it returns. */
  private static int visits(RoutingCopy copy, float[] q, int beam, Bits live, float floor) {
    int lo = 1;
    int hi = N;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (copy.search(q, beam, live, mid, floor) == null) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private Set<Integer> above(int[] docs, float[] q, float keep) {
    Set<Integer> out = new HashSet<>();
    for (int d : docs) {
      if (VectorUtil.dotProduct(keys[d], q) >= keep) {
        out.add(d);
      }
    }
    return out;
  }

  private static Set<Integer> asSet(int[] docs) {
    Set<Integer> out = new HashSet<>();
    for (int d : docs) {
      out.add(d);
    }
    return out;
  }

  private int[] allLive(Bits live) {
    return java.util.stream.IntStream.range(0, N)
        .filter(i -> keys[i] != null && live.get(i))
        .toArray();
  }

  /** The K best of the documents by their float keys (the exact rescoring a search ends with). */
  private Set<Integer> best(int[] docs, float[] q) {
    Integer[] sorted = java.util.Arrays.stream(docs).boxed().toArray(Integer[]::new);
    java.util.Arrays.sort(
        sorted,
        java.util.Comparator.comparingDouble((Integer d) -> -VectorUtil.dotProduct(keys[d], q))
            .thenComparingInt(d -> d));
    Set<Integer> out = new HashSet<>();
    for (int i = 0; i < Math.min(K, sorted.length); i++) {
      out.add(sorted[i]);
    }
    return out;
  }

  private static int overlap(Set<Integer> a, Set<Integer> b) {
    Set<Integer> c = new HashSet<>(a);
    c.retainAll(b);
    return c.size();
  }
}
