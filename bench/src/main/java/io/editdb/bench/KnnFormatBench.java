package io.editdb.bench;

import io.editdb.cli.DirTrees;
import io.editdb.cli.Keys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene102.Lucene102HnswBinaryQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene103.Lucene103Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.AcceptDocs;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopKnnCollector;
import org.apache.lucene.search.knn.KnnSearchStrategy;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.VectorUtil;

/**
 * Which graph format and beam to route a large layer with: builds the same clustered visual keys
 * (RoutingBench's: 512 floats, one cluster per 100) into Lucene indexes of several vectors formats
 * and measures, per beam, the graph search plus exact rescoring of the hits with the float keys (as
 * KeyIndex does) against an exact scan of all keys: median and p99 latency and the recall of the
 * hard filter (top 16 at similarity 0.7 or more). Each index is measured as two segments (searched
 * one after the other, and in parallel) and after a force merge to one. With {@code keep} the
 * indexes stay in {@code target/knnbench-FORMAT-SEGMENTS} and a later run with the same n reuses
 * them (building a million keys takes about 10 minutes per format).
 *
 * <pre>editdb bench knn [n=1000000] [queries=200] [formats=float,int7,bbq] [beams=48,96,145] [keep]
 * </pre>
 */
public final class KnnFormatBench {
  private static final int DIM = 512;
  private static final int K = 16;
  private static final float THRESHOLD = 0.7f;

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int queries = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    String[] formats = (args.length > 2 ? args[2] : "float,int7,bbq").split(",");
    int[] beams =
        Arrays.stream((args.length > 3 ? args[3] : "48,96,145").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    boolean keep = args.length > 4 && args[4].equals("keep");
    Keys gen = new Keys(DIM, Math.max(1, n / 100), 0.5, 11);
    float[][] keys = new float[n][];
    for (int i = 0; i < n; i++) {
      keys[i] = gen.next();
    }
    float[][] qs = new float[queries][];
    for (int i = 0; i < queries; i++) {
      qs[i] = gen.next();
    }
    long t0 = System.nanoTime();
    List<Set<Integer>> truth =
        IntStream.range(0, queries).parallel().mapToObj(i -> exact(keys, qs[i])).toList();
    System.out.println(
        Stats.fmt(
            "KnnFormatBench: %,d keys of %d floats, %d queries, exact scan"
                + " %.1f ms per query (2 threads)",
            n, DIM, queries, (System.nanoTime() - t0) / 1e6 / queries * 2));
    Stats.row(
        "| %-9s | %8s | %5s | %8s | %10s | %10s | %8s | %7s |",
        "format", "segments", "beam", "parallel", "median ms", "p99 ms", "recall", "build s");
    Stats.row("|%s|", "-".repeat(89));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (String f : formats) {
        run(f, keys, qs, truth, beams, pool, keep);
      }
    } finally {
      pool.shutdown();
    }
  }

  private static KnnVectorsFormat format(String name) {
    return switch (name) {
      case "float" -> new Lucene99HnswVectorsFormat(16, 100);
      case "float32" -> new Lucene99HnswVectorsFormat(32, 100);
      case "int7" -> new Lucene99HnswScalarQuantizedVectorsFormat(16, 100, 1, 7, false, null, null);
      case "int4" -> new Lucene99HnswScalarQuantizedVectorsFormat(16, 100, 1, 4, true, 0f, null);
      case "bbq" -> new Lucene102HnswBinaryQuantizedVectorsFormat(16, 100);
      default ->
          throw new IllegalArgumentException(
              "unknown format '" + name + "'; use float, float32, int7, int4 or bbq");
    };
  }

  private static void run(
      String name,
      float[][] keys,
      float[][] qs,
      List<Set<Integer>> truth,
      int[] beams,
      ExecutorService pool,
      boolean keep)
      throws Exception {
    Path two = Path.of("target/knnbench-" + name + "-2");
    Path one = Path.of("target/knnbench-" + name + "-1");
    KnnVectorsFormat format = format(name);
    Lucene103Codec codec =
        new Lucene103Codec() {
          @Override
          public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
            return format;
          }
        };
    double build = reusable(two, keys.length) ? 0 : build(two, keys, codec, pool);
    try (Directory dir = FSDirectory.open(two);
        DirectoryReader r = DirectoryReader.open(dir)) {
      for (int beam : beams) {
        measure(name, r, qs, truth, beam, null, build);
        measure(name, r, qs, truth, beam, pool, build);
      }
    }
    double merge = 0;
    if (!reusable(one, keys.length)) {
      DirTrees.delete(one);
      Files.createDirectories(one);
      try (Stream<Path> files = Files.list(two)) {
        for (Path f : files.toList()) {
          Files.copy(f, one.resolve(f.getFileName()));
        }
      }
      long m0 = System.nanoTime();
      try (Directory dir = FSDirectory.open(one);
          IndexWriter w =
              new IndexWriter(
                  dir,
                  new IndexWriterConfig()
                      .setMergePolicy(new TieredMergePolicy())
                      .setCodec(codec))) {
        w.forceMerge(1);
      }
      merge = (System.nanoTime() - m0) / 1e9;
    }
    try (Directory dir = FSDirectory.open(one);
        DirectoryReader r = DirectoryReader.open(dir)) {
      for (int beam : beams) {
        measure(name, r, qs, truth, beam, null, merge);
      }
    }
    if (!keep) {
      DirTrees.delete(two);
      DirTrees.delete(one);
    }
  }

  private static boolean reusable(Path path, int n) throws IOException {
    if (!Files.isDirectory(path)) {
      return false;
    }
    try (Directory dir = FSDirectory.open(path);
        DirectoryReader r = DirectoryReader.open(dir)) {
      return r.numDocs() == n;
    } catch (IOException e) {
      return false;
    }
  }

  /** Two segments: two threads add alternate keys, each to its own in-memory segment. */
  private static double build(Path path, float[][] keys, Lucene103Codec codec, ExecutorService pool)
      throws Exception {
    DirTrees.delete(path);
    long b0 = System.nanoTime();
    try (Directory dir = FSDirectory.open(path);
        IndexWriter w =
            new IndexWriter(
                dir,
                new IndexWriterConfig()
                    .setRAMBufferSizeMB(6000)
                    .setRAMPerThreadHardLimitMB(2000)
                    .setMergePolicy(NoMergePolicy.INSTANCE)
                    .setCodec(codec))) {
      List<Future<?>> adds = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        int first = t;
        adds.add(
            pool.submit(
                () -> {
                  for (int i = first; i < keys.length; i += 2) {
                    Document d = new Document();
                    d.add(
                        new KnnFloatVectorField(
                            "v", keys[i], VectorSimilarityFunction.DOT_PRODUCT));
                    d.add(new NumericDocValuesField("id", i));
                    w.addDocument(d);
                  }
                  return null;
                }));
      }
      for (Future<?> a : adds) {
        a.get();
      }
      w.commit();
    }
    return (System.nanoTime() - b0) / 1e9;
  }

  private static void measure(
      String name,
      DirectoryReader r,
      float[][] qs,
      List<Set<Integer>> truth,
      int beam,
      ExecutorService pool,
      double build)
      throws Exception {
    List<LeafReaderContext> leaves = r.leaves();
    for (int i = 0; i < 3 * qs.length; i++) { // warm-up: JIT, and the files into the page cache
      search(leaves, qs[i % qs.length], beam, pool);
    }
    Stats st = new Stats();
    Recall recall = new Recall();
    for (int i = 0; i < qs.length; i++) {
      long t0 = System.nanoTime();
      Set<Integer> got = search(leaves, qs[i], beam, pool);
      st.add(System.nanoTime() - t0);
      recall.add(truth.get(i), got);
    }
    Stats.row(
        "| %-9s | %8d | %5d | %8s | %10.3f | %10.3f | %8.4f | %7s |",
        name,
        leaves.size(),
        beam,
        pool == null ? "no" : "yes",
        st.medianMs(),
        st.p99Ms(),
        recall.value(),
        build == 0 ? "reused" : Stats.fmt("%.1f", build));
  }

  /** Ids of the top K hits at or above the threshold, graph-searched and rescored exactly. */
  private static Set<Integer> search(
      List<LeafReaderContext> leaves, float[] q, int beam, ExecutorService pool) throws Exception {
    List<float[]> hits = new ArrayList<>(); // {similarity, id}
    if (pool == null || leaves.size() < 2) {
      for (LeafReaderContext leaf : leaves) {
        hits.addAll(leafSearch(leaf, q, beam));
      }
    } else {
      List<Future<List<float[]>>> parts = new ArrayList<>();
      for (LeafReaderContext leaf : leaves.subList(1, leaves.size())) {
        parts.add(pool.submit(() -> leafSearch(leaf, q, beam)));
      }
      hits.addAll(leafSearch(leaves.get(0), q, beam));
      for (Future<List<float[]>> p : parts) {
        try {
          hits.addAll(p.get());
        } catch (ExecutionException e) {
          throw new IOException(e.getCause());
        }
      }
    }
    hits.sort(Comparator.comparingDouble((float[] h) -> -h[0]));
    Set<Integer> ids = new HashSet<>();
    for (float[] h : hits.subList(0, Math.min(K, hits.size()))) {
      if (h[0] >= THRESHOLD) {
        ids.add((int) h[1]);
      }
    }
    return ids;
  }

  private static List<float[]> leafSearch(LeafReaderContext leaf, float[] q, int beam)
      throws IOException {
    int size = leaf.reader().maxDoc();
    TopKnnCollector c = new TopKnnCollector(beam, size, KnnSearchStrategy.Hnsw.DEFAULT);
    leaf.reader().searchNearestVectors("v", q, c, AcceptDocs.fromLiveDocs(null, size));
    ScoreDoc[] found = c.topDocs().scoreDocs;
    Arrays.sort(found, Comparator.comparingInt(sd -> sd.doc));
    FloatVectorValues values = leaf.reader().getFloatVectorValues("v");
    KnnVectorValues.DocIndexIterator it = values.iterator();
    NumericDocValues ids = leaf.reader().getNumericDocValues("id");
    List<float[]> out = new ArrayList<>(found.length);
    for (ScoreDoc sd : found) {
      it.advance(sd.doc);
      ids.advanceExact(sd.doc);
      out.add(
          new float[] {VectorUtil.dotProduct(values.vectorValue(it.index()), q), ids.longValue()});
    }
    return out;
  }

  private static Set<Integer> exact(float[][] keys, float[] q) {
    float[] best = new float[K];
    int[] ids = new int[K];
    Arrays.fill(best, Float.NEGATIVE_INFINITY);
    for (int i = 0; i < keys.length; i++) {
      float s = VectorUtil.dotProduct(keys[i], q);
      if (s > best[K - 1]) {
        int j = K - 1;
        for (; j > 0 && best[j - 1] < s; j--) {
          best[j] = best[j - 1];
          ids[j] = ids[j - 1];
        }
        best[j] = s;
        ids[j] = i;
      }
    }
    Set<Integer> out = new HashSet<>();
    for (int j = 0; j < K; j++) {
      if (best[j] >= THRESHOLD) {
        out.add(ids[j]);
      }
    }
    return out;
  }
}
