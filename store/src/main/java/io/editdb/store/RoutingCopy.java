package io.editdb.store;

import java.io.IOException;
import java.util.Arrays;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.hnsw.HnswGraphProvider;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.apache.lucene.index.CodecReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.hnsw.HnswGraph;

/**
 * One segment's HNSW graph, copied onto the heap with its keys as 8-bit codes, and walked in place
 * of Lucene's graph search. The walk is Lucene's (the same graph, entry point, beam and stopping
 * rule, the filter applied to what is collected and not to what is explored); what differs is what
 * a step reads: a key's 8-bit code (a quarter of its floats) from one array, scored four at a time
 * ({@link Int8Dot}), and neighbour lists from plain int arrays instead of the index file's encoded
 * ones. The hits are rescored exactly from the stored floats by the caller, as Lucene's are.
 *
 * <p>Codes are per dimension: {@code code = round(127 * x / scale[d])} with {@code scale[d]} the
 * largest magnitude of dimension d in the segment; the query is multiplied by the scales and
 * quantized to 8 bits itself, so a code's dot product with it orders keys as the raw similarity
 * does, up to rounding. Immutable and thread-safe; each search uses its thread's scratch.
 */
final class RoutingCopy {
  /**
   * Whether copies can be made here: the vector module is present (the JVM runs with {@code
   * --add-modules jdk.incubator.vector}, as the {@code editdb} command's does) and the CPU has
   * vectors of at least 8 ints. Otherwise Lucene's own search is used.
   */
  static final boolean AVAILABLE = available();

  private static boolean available() {
    if (!StoredKeys.vectorModule()) {
      return false;
    }
    try {
      return Int8Dot.usable();
    } catch (LinkageError e) {
      return false;
    }
  }

  private final int dim;
  private final int size;
  private final byte[] codes;
  private final float[] scale;
  private final int entry;

  /** Level 0: the neighbours of ord o are {@code edges[start[o]..start[o+1])}. */
  private final int[] start;

  private final int[] edges;

  /** Levels 1 and up: sorted nodes, and their neighbours as at level 0 (index into nodes). */
  private final int[][] upperNodes;

  private final int[][] upperStart;
  private final int[][] upperEdges;

  /** The document of each ord; null when they are equal (every document has the key). */
  private final int[] ordToDoc;

  private RoutingCopy(
      int dim,
      int size,
      byte[] codes,
      float[] scale,
      int entry,
      int[] start,
      int[] edges,
      int[][] upperNodes,
      int[][] upperStart,
      int[][] upperEdges,
      int[] ordToDoc) {
    this.dim = dim;
    this.size = size;
    this.codes = codes;
    this.scale = scale;
    this.entry = entry;
    this.start = start;
    this.edges = edges;
    this.upperNodes = upperNodes;
    this.upperStart = upperStart;
    this.upperEdges = upperEdges;
    this.ordToDoc = ordToDoc;
  }

  /**
   * Copies the field's graph and codes its keys; null when the segment has no graph for the field
   * (a flat field, or a reader that does not expose one) or its codes would not fit one array.
   */
  static RoutingCopy of(LeafReader leaf, String field) throws IOException {
    if (!(leaf instanceof CodecReader codec)) {
      return null;
    }
    KnnVectorsReader vr = codec.getVectorReader();
    if (vr instanceof PerFieldKnnVectorsFormat.FieldsReader perField) {
      vr = perField.getFieldReader(field);
    }
    FloatVectorValues values = leaf.getFloatVectorValues(field);
    if (!(vr instanceof HnswGraphProvider provider) || values == null || values.size() == 0) {
      return null;
    }
    HnswGraph graph = provider.getGraph(field);
    int size = values.size();
    int dim = values.dimension();
    if (graph == null || graph.size() != size || (long) size * dim > Integer.MAX_VALUE - 16) {
      return null;
    }
    float[] scale = new float[dim];
    for (int ord = 0; ord < size; ord++) {
      float[] v = values.vectorValue(ord);
      for (int d = 0; d < dim; d++) {
        scale[d] = Math.max(scale[d], Math.abs(v[d]));
      }
    }
    for (int d = 0; d < dim; d++) {
      scale[d] = scale[d] > 0 ? scale[d] : 1;
    }
    byte[] codes = new byte[size * dim];
    for (int ord = 0; ord < size; ord++) {
      float[] v = values.vectorValue(ord);
      for (int d = 0; d < dim; d++) {
        codes[ord * dim + d] = (byte) Math.round(127 * v[d] / scale[d]);
      }
    }
    int[] ordToDoc = null;
    if (size != leaf.maxDoc()) {
      ordToDoc = new int[size];
      var it = values.iterator();
      for (int doc = it.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = it.nextDoc()) {
        ordToDoc[it.index()] = doc;
      }
    }
    int[][] level0 = neighbours(graph, 0, null, size);
    int levels = graph.numLevels();
    int[][] upperNodes = new int[levels][];
    int[][] upperStart = new int[levels][];
    int[][] upperEdges = new int[levels][];
    for (int level = 1; level < levels; level++) {
      HnswGraph.NodesIterator nodes = graph.getNodesOnLevel(level);
      int[] on = new int[nodes.size()];
      for (int i = 0; i < on.length; i++) {
        on[i] = nodes.nextInt();
      }
      Arrays.sort(on);
      int[][] lists = neighbours(graph, level, on, on.length);
      upperNodes[level] = on;
      upperStart[level] = lists[0];
      upperEdges[level] = lists[1];
    }
    return new RoutingCopy(
        dim,
        size,
        codes,
        scale,
        graph.entryNode(),
        level0[0],
        level0[1],
        upperNodes,
        upperStart,
        upperEdges,
        ordToDoc);
  }

  /**
   * The neighbour lists of one level in compressed rows: {start, edges}, the neighbours of the i-th
   * node in {@code edges[start[i]..start[i+1])}; the nodes are {@code nodes}, or the ords 0..n-1
   * when it is null (level 0 holds every node).
   */
  private static int[][] neighbours(HnswGraph graph, int level, int[] nodes, int n)
      throws IOException {
    int[] start = new int[n + 1];
    int[] edges = new int[n * 8 + 4];
    int m = 0;
    for (int i = 0; i < n; i++) {
      graph.seek(level, nodes == null ? i : nodes[i]);
      for (int nb = graph.nextNeighbor(); nb != DocIdSetIterator.NO_MORE_DOCS; ) {
        if (m == edges.length) {
          edges = Arrays.copyOf(edges, m + m / 2);
        }
        edges[m++] = nb;
        nb = graph.nextNeighbor();
      }
      start[i + 1] = m;
    }
    return new int[][] {start, Arrays.copyOf(edges, m)};
  }

  /** Heap bytes held (the budget counts these). */
  long bytes() {
    long b = (long) codes.length + 4L * (start.length + edges.length + scale.length);
    for (int level = 1; level < upperNodes.length; level++) {
      b += 4L * (upperNodes[level].length + upperStart[level].length + upperEdges[level].length);
    }
    return b + (ordToDoc == null ? 0 : 4L * ordToDoc.length);
  }

  int size() {
    return size;
  }

  /** A search's working memory, one per thread, reused: visit marks and the two heaps. */
  private static final class Scratch {
    int[] seen = new int[0];
    int epoch;
    long[] candidates = new long[256];
    long[] results = new long[64];
    int[] batch = new int[64];
    int[] scores = new int[64 + 3]; // the walk writes up to 3 past its batch
    byte[] query = new byte[0];
    float[] scaled = new float[0];
    float codesPerUnit; // the query's code scores per unit of raw similarity (set by quantize)

    /** Starts a search over {@code size} nodes: a new epoch (no mark is set in it yet). */
    void begin(int size, int dim) {
      if (seen.length < size) {
        seen = new int[size];
        epoch = 0;
      }
      if (++epoch == 0) { // wrapped: marks of old epochs could collide
        Arrays.fill(seen, 0);
        epoch = 1;
      }
      if (query.length < dim) {
        query = new byte[dim];
        scaled = new float[dim];
      }
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * The documents of the (at most) {@code beam} best accepted keys by code score, in no order; null
   * when the walk would score more than {@code visitLimit} keys (then a scan of the accepted ones
   * costs less, as in Lucene).
   *
   * <p>{@code floor}: a raw similarity below which keys are of no use to the caller except as a way
   * through the graph. Once the walk has scored a key at or above it, it no longer keeps keys below
   * it as candidates or results, and it stops when no candidate above it is left, even with its
   * beam not full; the keys below it that it kept on the way in are not returned either (the caller
   * would read each one's floats only to drop it: at a million keys, 34 of 84 per segment). A query
   * near a few keys then explores those and their neighbours instead of filling its beam from far
   * away (at a million keys in two segments, a cluster of about 50 in each, a beam of 64 otherwise
   * walked some 2,200 keys per segment). Before that first key the walk is Lucene's, so a walk that
   * starts far from the keys it wants can still reach them. {@code Float.NEGATIVE_INFINITY}: no
   * floor.
   *
   * @param q the query in indexed form
   * @param accept documents that may be returned (null: all)
   */
  int[] search(float[] q, int beam, Bits accept, int visitLimit, float floor) {
    Scratch s = SCRATCH.get();
    s.begin(size, dim);
    byte[] qc = quantize(q, s);
    // in code units, rounded down: a key whose code score rounds to just under it is kept
    int floorCode =
        floor == Float.NEGATIVE_INFINITY
            ? Integer.MIN_VALUE
            : (int) Math.max(Integer.MIN_VALUE, Math.floor(floor * s.codesPerUnit) - 1);
    int visits = 1;
    int ep = entry;
    int best = Int8Dot.dot(codes, ep * dim, qc, dim);
    for (int level = upperNodes.length - 1; level >= 1; level--) { // greedy, as Lucene's k = 1
      int[] on = upperNodes[level];
      int[] st = upperStart[level];
      int[] ed = upperEdges[level];
      boolean moved = true;
      while (moved) {
        moved = false;
        int at = Arrays.binarySearch(on, ep);
        for (int e = st[at]; e < st[at + 1]; e++) {
          int nb = ed[e];
          int score = Int8Dot.dot(codes, nb * dim, qc, dim);
          visits++;
          if (score > best) {
            best = score;
            ep = nb;
            moved = true;
          }
        }
      }
    }
    // Level 0: candidates in a max-heap, collected results in a min-heap of at most beam entries
    // (kept as a max-heap of complements), both as (score << 32 | ord), which orders by score.
    long[] cand = s.candidates;
    long[] res = s.results.length > beam ? s.results : (s.results = new long[beam + 1]);
    int nc = 0;
    int nr = 0;
    s.seen[ep] = s.epoch;
    cand[nc++] = pack(best, ep);
    if (accepted(ep, accept)) {
      res[nr++] = ~pack(best, ep);
    }
    int[] batch = s.batch;
    int[] scores = s.scores;
    boolean reached = best >= floorCode; // a key at or above the floor was scored
    while (nc > 0) {
      long top = cand[0];
      cand[0] = cand[--nc];
      siftDown(cand, nc);
      int topScore = (int) (top >> 32);
      if ((nr >= beam && topScore < (int) (~res[0] >> 32)) || (reached && topScore < floorCode)) {
        break;
      }
      int node = (int) top;
      int m = 0;
      for (int e = start[node]; e < start[node + 1]; e++) {
        int nb = edges[e];
        if (s.seen[nb] != s.epoch) {
          s.seen[nb] = s.epoch;
          if (m == batch.length) {
            batch = s.batch = Arrays.copyOf(batch, m * 2);
            scores = s.scores = new int[m * 2 + 3];
          }
          batch[m++] = nb;
        }
      }
      visits += m;
      if (visits > visitLimit) {
        return null;
      }
      // four at a time; a last group of fewer padded with its first node (then in cache, and
      // its scores past m unused), so every read overlaps another
      for (int j = 0; j < m; j += 4) {
        int a = batch[j];
        Int8Dot.dot4(
            codes,
            a * dim,
            (j + 1 < m ? batch[j + 1] : a) * dim,
            (j + 2 < m ? batch[j + 2] : a) * dim,
            (j + 3 < m ? batch[j + 3] : a) * dim,
            qc,
            dim,
            scores,
            j);
      }
      for (int j = 0; j < m; j++) {
        int score = scores[j];
        if (score >= floorCode) {
          reached = true;
        } else if (reached) {
          continue; // below the floor, with keys above it found: not worth keeping
        }
        if (nr < beam || score >= (int) (~res[0] >> 32)) {
          long p = pack(score, batch[j]);
          if (nc == cand.length) {
            cand = s.candidates = Arrays.copyOf(cand, nc * 2);
          }
          cand[nc++] = p;
          siftUp(cand, nc - 1);
          if (accepted(batch[j], accept)) {
            if (nr < beam) {
              res[nr++] = ~p;
              siftUp(res, nr - 1);
            } else if (p > ~res[0]) {
              res[0] = ~p;
              siftDown(res, nr);
            }
          }
        }
      }
    }
    int[] docs = new int[nr];
    int kept = 0;
    for (int i = 0; i < nr; i++) { // keys kept before the walk reached the floor are of no use
      if (!reached || (int) (~res[i] >> 32) >= floorCode) {
        docs[kept++] = doc((int) ~res[i]);
      }
    }
    return kept == nr ? docs : Arrays.copyOf(docs, kept);
  }

  private int doc(int ord) {
    return ordToDoc == null ? ord : ordToDoc[ord];
  }

  private boolean accepted(int ord, Bits accept) {
    return accept == null || accept.get(doc(ord));
  }

  /** The query times the scales, rounded to 8 bits at its own scale. */
  private byte[] quantize(float[] q, Scratch s) {
    float max = 0;
    for (int d = 0; d < dim; d++) {
      s.scaled[d] = q[d] * scale[d];
      max = Math.max(max, Math.abs(s.scaled[d]));
    }
    float f = max > 0 ? 127 / max : 0;
    for (int d = 0; d < dim; d++) {
      s.query[d] = (byte) Math.round(s.scaled[d] * f);
    }
    // code(x)[d] ~ 127 x[d] / scale[d] and query[d] ~ f q[d] scale[d]: a code score is about
    // 127 f times the raw similarity
    s.codesPerUnit = 127 * f;
    return s.query;
  }

  private static long pack(int score, int ord) {
    return (long) score << 32 | ord;
  }

  private static void siftUp(long[] h, int i) {
    long x = h[i];
    while (i > 0) {
      int p = (i - 1) >>> 1;
      if (h[p] >= x) {
        break;
      }
      h[i] = h[p];
      i = p;
    }
    h[i] = x;
  }

  private static void siftDown(long[] h, int n) {
    if (n == 0) {
      return;
    }
    long x = h[0];
    int i = 0;
    while (true) {
      int c = 2 * i + 1;
      if (c >= n) {
        break;
      }
      if (c + 1 < n && h[c + 1] > h[c]) {
        c++;
      }
      if (h[c] <= x) {
        break;
      }
      h[i] = h[c];
      i = c;
    }
    h[i] = x;
  }
}
