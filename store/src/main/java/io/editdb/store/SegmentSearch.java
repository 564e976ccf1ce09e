package io.editdb.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.search.AcceptDocs;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.KnnCollector;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.TopKnnCollector;
import org.apache.lucene.search.Weight;
import org.apache.lucene.search.knn.KnnSearchStrategy;
import org.apache.lucene.util.BitSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.FixedBitSet;

/**
 * The search algorithm of {@link KeyIndex} within one segment, with no state of its own: a
 * segment's active spans ({@link Spans}), the exact scan, the HNSW graph search with its beam rule
 * and exact rescoring, the k best hits ({@link TopHits}) and their text scores. {@link KeyIndex}
 * decides which segments to search how, and in which threads.
 */
final class SegmentSearch {
  private SegmentSearch() {}

  /**
   * Segments with at most this many active spans are scanned instead of graph-searched. A larger
   * one is walked on its routing copy, made as the segment appears: per segment of RoutingBench's
   * keys, a walk to the hard filter's floor took 0.007 ms at 500 keys and 0.008 at 1,000, the scan
   * 0.029 and 0.055 (Lucene's graph search 0.042 and 0.057). Below a few hundred keys a copy, made
   * once per commit, is not worth making.
   */
  static final int EXACT_LEAF = 256;

  /** Graph size up to which a search's beam is its k (see {@link #beam}). */
  static final int BEAM_BASE = 125_000;

  /**
   * One segment's graph search for the k best, each hit rescored exactly; the scan when the graph
   * search would visit more nodes than the segment has active spans (Lucene's own rule). The walk
   * is the segment's {@link RoutingCopy} when it has one ready, else Lucene's. {@code values} is
   * read by this task alone (vector values are not thread-safe).
   */
  static TopHits graphSearch(
      LeafReaderContext leaf,
      Spans spans,
      FloatVectorValues values,
      String field,
      float[] pq,
      int k,
      RoutingCopy copy,
      float floor)
      throws IOException {
    TopHits top = new TopHits(k);
    int beam = beam(k, spans.count);
    int[] docs;
    if (copy != null) {
      docs = copy.search(pq, beam, spans.acceptBits(leaf), spans.count, floor);
    } else {
      KnnCollector c = new TopKnnCollector(beam, spans.count, KnnSearchStrategy.Hnsw.DEFAULT);
      leaf.reader().searchNearestVectors(field, pq, c, spans.acceptDocs(leaf));
      docs = c.earlyTerminated() ? null : docs(c.topDocs().scoreDocs);
    }
    if (docs == null) {
      scan(leaf, spans, values, pq, top);
      return top;
    }
    Arrays.sort(docs); // the vectors' iterator only goes forward
    int[] ords = ords(values.iterator(), docs, docs.length);
    float[] sims = new float[docs.length];
    new StoredKeys(values).dots(ords, ords.length, pq, sims); // one read of each, overlapped
    for (int i = 0; i < docs.length; i++) {
      top.offer(sims[i], leaf.docBase + docs[i]);
    }
    return top;
  }

  /**
   * The vector ordinals of the first n of {@code docs} (ascending, each with a vector), from the
   * values' iterator, which only goes forward.
   */
  private static int[] ords(KnnVectorValues.DocIndexIterator it, int[] docs, int n)
      throws IOException {
    int[] ords = new int[n];
    for (int i = 0; i < n; i++) {
      int doc = docs[i];
      if (it.docID() > doc || it.advance(doc) != doc) {
        throw new IllegalStateException("index document " + doc + " lacks a vector");
      }
      ords[i] = it.index();
    }
    return ords;
  }

  private static int[] docs(ScoreDoc[] found) {
    int[] docs = new int[found.length];
    for (int i = 0; i < docs.length; i++) {
      docs[i] = found[i].doc;
    }
    return docs;
  }

  /**
   * The graph search's beam (Lucene's k) for k results in a segment of {@code active} spans: k up
   * to {@value #BEAM_BASE} spans, then growing with the square root of the size, because at a fixed
   * beam HNSW recall falls as the graph grows. Measured on RoutingBench's keys (100 per cluster),
   * hard-filter recall against the exact scan: 100,000 spans, beam 48: 0.9996; a 910,000-span
   * segment (plus one of 90,000): beam 48: 0.89, 96: 0.96, 128: 0.993, 160: 0.997; a million keys
   * in two segments of 500,000 ({@code editdb bench knn}): beam 48: 0.980, 96: 0.997. The rule
   * gives 96 at 500,000 spans (the segment size limit) and 130 at 910,000. Each segment is searched
   * with its own beam; Lucene's shared cross-segment bar (MultiLeafKnnCollector) measured the same
   * recall and no faster here.
   */
  static int beam(int k, int active) {
    double grow = Math.sqrt(active / (double) BEAM_BASE);
    return grow <= 1 ? k : (int) Math.min(Layer.MAX_CANDIDATES, Math.ceil(k * grow));
  }

  /**
   * The kept documents as hits, best first (primary similarity descending, then edit id), those
   * that {@code scoring} names scored on the text key too (NaN for the others). Edit ids are read
   * leaf by leaf in doc order; the text keys of the named hits likewise, after the ranking.
   */
  static List<KeyHit> hits(
      List<LeafReaderContext> leaves, TopHits top, float[] tq, String tf, TextScoring scoring)
      throws IOException {
    TopHits.Hit[] docs = top.byDoc();
    Ranked[] byDoc = new Ranked[docs.length];
    int i = 0;
    while (i < docs.length) {
      LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(docs[i].doc(), leaves));
      NumericDocValues ids = leaf.reader().getNumericDocValues(KeyIndex.EDIT);
      int end = leaf.docBase + leaf.reader().maxDoc();
      for (; i < docs.length && docs[i].doc() < end; i++) {
        int local = docs[i].doc() - leaf.docBase;
        if (!ids.advanceExact(local)) {
          throw new IllegalStateException("index document " + local + " lacks an edit id");
        }
        byDoc[i] = new Ranked(docs[i].doc(), docs[i].sim(), ids.longValue());
      }
    }
    Ranked[] ranked = byDoc.clone();
    sortBestFirst(ranked);
    if (tq != null) {
      for (int r = 0; r < Math.min(ranked.length, scoring.best()); r++) {
        ranked[r].scoreText = ranked[r].sim >= scoring.from();
      }
      i = 0;
      while (i < byDoc.length) {
        if (!byDoc[i].scoreText) { // a leaf's text vectors are opened only for a scored hit
          i++;
          continue;
        }
        LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(byDoc[i].doc, leaves));
        int end = leaf.docBase + leaf.reader().maxDoc();
        List<Ranked> scored = new ArrayList<>();
        for (; i < byDoc.length && byDoc[i].doc < end; i++) {
          if (byDoc[i].scoreText) {
            scored.add(byDoc[i]);
          }
        }
        scoreText(leaf, leaf.reader().getFloatVectorValues(tf), scored, tq);
      }
    }
    List<KeyHit> hits = new ArrayList<>(ranked.length);
    for (Ranked r : ranked) {
      hits.add(new KeyHit(r.id, r.sim, r.text));
    }
    return hits;
  }

  /**
   * The text scores of one leaf's hits (ascending docs): each hit's text key against {@code tq}
   * (every edit has one; a leaf without text keys leaves the scores NaN).
   */
  private static void scoreText(
      LeafReaderContext leaf, FloatVectorValues tv, List<Ranked> hits, float[] tq)
      throws IOException {
    if (tv == null) {
      return;
    }
    int[] docs = new int[hits.size()];
    for (int j = 0; j < docs.length; j++) {
      docs[j] = hits.get(j).doc - leaf.docBase;
    }
    float[] text = new float[docs.length];
    new StoredKeys(tv).dots(ords(tv.iterator(), docs, docs.length), docs.length, tq, text);
    for (int j = 0; j < docs.length; j++) {
      hits.get(j).text = text[j];
    }
  }

  /**
   * A kept document while its hit is made: global doc, primary similarity, edit id, whether its
   * text key is scored, and that score.
   */
  private static final class Ranked {
    final int doc;
    final float sim;
    final long id;
    boolean scoreText;
    float text = Float.NaN;

    Ranked(int doc, float sim, long id) {
      this.doc = doc;
      this.sim = sim;
      this.id = id;
    }
  }

  /** Primary similarity descending, then edit id: the order of a search's hits. */
  private static final Comparator<Ranked> BEST_FIRST =
      new Comparator<>() {
        @Override
        public int compare(Ranked a, Ranked b) {
          int bySim = Float.compare(b.sim, a.sim);
          return bySim != 0 ? bySim : Long.compare(a.id, b.id);
        }
      };

  /**
   * Sorts hits; a few dozen (a route's) by insertion with this class's own comparator class: the
   * JDK's sort of them went through a comparator call site shared by every sort in the process, and
   * was a tenth of a route's time (JFR).
   */
  private static void sortBestFirst(Ranked[] a) {
    int n = a.length;
    if (n > 64) {
      Arrays.sort(a, BEST_FIRST);
      return;
    }
    for (int i = 1; i < n; i++) {
      Ranked x = a[i];
      int j = i - 1;
      for (; j >= 0 && BEST_FIRST.compare(a[j], x) > 0; j--) {
        a[j + 1] = a[j];
      }
      a[j + 1] = x;
    }
  }

  /** Linear scan of the leaf's active spans, offering each raw similarity to the top hits. */
  static void scan(
      LeafReaderContext leaf, Spans spans, FloatVectorValues values, float[] q, TopHits top)
      throws IOException {
    Bits live = leaf.reader().getLiveDocs();
    KnnVectorValues.DocIndexIterator vit = values.iterator();
    Block block = new Block(new StoredKeys(values), q, leaf.docBase, top);
    if (spans.bits == null) {
      for (int doc = vit.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = vit.nextDoc()) {
        if (live == null || live.get(doc)) {
          block.add(doc, vit.index());
        }
      }
    } else {
      BitSetIterator docs = new BitSetIterator(spans.bits, spans.count);
      for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
        int at = vit.docID() < doc ? vit.advance(doc) : vit.docID();
        if (at == doc) { // a span without this vector (a visual layer's edit without image)
          block.add(doc, vit.index());
        }
      }
    }
    block.flush();
  }

  /** A scan's keys scored a block at a time (so their reads overlap) and offered to the top. */
  private static final class Block {
    private final StoredKeys keys;
    private final float[] q;
    private final int docBase;
    private final TopHits top;
    private final int[] docs = new int[64];
    private final int[] ords = new int[64];
    private final float[] sims = new float[64];
    private int n;

    Block(StoredKeys keys, float[] q, int docBase, TopHits top) {
      this.keys = keys;
      this.q = q;
      this.docBase = docBase;
      this.top = top;
    }

    void add(int doc, int ord) throws IOException {
      docs[n] = doc;
      ords[n++] = ord;
      if (n == docs.length) {
        flush();
      }
    }

    void flush() throws IOException {
      keys.dots(ords, n, q, sims);
      for (int i = 0; i < n; i++) {
        top.offer(sims[i], docBase + docs[i]);
      }
      n = 0;
    }
  }

  /**
   * A layer's active spans in one segment: their number and which they are ({@code bits} null when
   * they are all the layer's live documents there, so a graph search needs no filter).
   */
  record Spans(int count, FixedBitSet bits) {
    static final Spans NONE = new Spans(0, null);

    static Spans of(LeafReaderContext leaf, Weight filter) throws IOException {
      Scorer scorer = filter.scorer(leaf);
      if (scorer == null) {
        return NONE;
      }
      Bits live = leaf.reader().getLiveDocs();
      FixedBitSet bits = new FixedBitSet(leaf.reader().maxDoc());
      int count = 0;
      DocIdSetIterator it = scorer.iterator();
      for (int doc = it.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = it.nextDoc()) {
        if (live == null || live.get(doc)) {
          bits.set(doc);
          count++;
        }
      }
      return count == 0 ? NONE : new Spans(count, bits);
    }

    /** The documents a search may return: the spans, or (null bits) the live documents. */
    Bits acceptBits(LeafReaderContext leaf) {
      return bits == null ? leaf.reader().getLiveDocs() : bits;
    }

    AcceptDocs acceptDocs(LeafReaderContext leaf) {
      if (bits == null) {
        return AcceptDocs.fromLiveDocs(leaf.reader().getLiveDocs(), leaf.reader().maxDoc());
      }
      return new AcceptDocs() {
        @Override
        public Bits bits() {
          return bits;
        }

        @Override
        public DocIdSetIterator iterator() {
          return new BitSetIterator(bits, count);
        }

        @Override
        public int cost() {
          return count;
        }
      };
    }
  }

  /** The k best (similarity, global doc) pairs offered, in a min-heap on similarity. */
  static final class TopHits {
    private record Hit(float sim, int doc) {}

    private final PriorityQueue<Hit> heap;
    private final int k;

    TopHits(int k) {
      this.k = k;
      this.heap = new PriorityQueue<>(k + 1, Comparator.comparingDouble(Hit::sim));
    }

    void offer(float sim, int doc) {
      if (heap.size() < k) {
        heap.add(new Hit(sim, doc));
      } else if (sim > heap.peek().sim()) {
        heap.poll();
        heap.add(new Hit(sim, doc));
      }
    }

    void offerAll(TopHits other) {
      for (Hit h : other.heap) {
        offer(h.sim(), h.doc());
      }
    }

    /** The kept hits by doc ascending. */
    Hit[] byDoc() {
      long[] byDoc = new long[heap.size()]; // doc in the high half, the similarity's bits below
      int i = 0;
      for (Hit h : heap) {
        byDoc[i++] = (long) h.doc() << 32 | (Float.floatToRawIntBits(h.sim()) & 0xFFFFFFFFL);
      }
      Arrays.sort(byDoc); // docs are not negative
      Hit[] all = new Hit[byDoc.length];
      for (i = 0; i < all.length; i++) {
        all[i] = new Hit(Float.intBitsToFloat((int) byDoc[i]), (int) (byDoc[i] >>> 32));
      }
      return all;
    }
  }
}
