package io.editdb.store;

import java.io.Closeable;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.IntFunction;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene103.Lucene103Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.ConstantScoreQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.LRUQueryCache;
import org.apache.lucene.search.QueryCachingPolicy;
import org.apache.lucene.search.SearcherFactory;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.Weight;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.Bits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The derived Lucene index of the keys: one document per activity span of an edit (an insert or
 * a restore opens a span, a rollback closes it). Fields:
 *
 * <ul>
 *   <li>{@code span}: keyword "editId:fromVersion", the document's identity (idempotent updates)
 *   <li>{@code edit}: doc value, the edit id; {@code layer}: keyword, the layer name
 *   <li>{@code from}: point, the version that opened the span
 *   <li>{@code to}: updatable doc value, the version that closed it ({@link Long#MAX_VALUE} while
 *       open); a rollback updates this value and never re-indexes the vectors
 *   <li>{@code v<layerId>}, {@code t<layerId>}: HNSW vector fields of the visual and text keys
 * </ul>
 *
 * The commit user data key {@value #WATERMARK} holds the highest version the commit reflects.
 * Not thread-safe for writes: the store calls the write methods under its writer lock. Reads are
 * thread-safe: each search uses one searcher, which knows the version it reflects.
 */
final class KeyIndex implements Closeable {
  static final String WATERMARK = "editdb.version";
  private static final Logger LOG = LoggerFactory.getLogger(KeyIndex.class);
  private static final String SPAN = "span";
  private static final String EDIT = "edit";
  private static final String LAYER = "layer";
  private static final String FROM = "from";
  private static final String TO = "to";

  private final Directory directory;
  private final IndexWriter writer;
  private final SearcherManager searchers;
  private final String location;
  private volatile long applied;
  private long committed;

  /** Opens (or creates) the index; throws if it cannot be read, so the caller can rebuild. */
  KeyIndex(Directory directory, StoreConfig config) throws IOException {
    this.directory = directory;
    this.location = config.location();
    KnnVectorsFormat format = new HnswFormat(config.hnswMaxConn(), config.hnswBeamWidth());
    IndexWriterConfig iwc =
        new IndexWriterConfig()
            .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
            .setRAMBufferSizeMB(256)
            .setCodec(
                new Lucene103Codec() {
                  @Override
                  public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                    return format;
                  }
                });
    IndexWriter w = new IndexWriter(directory, iwc);
    boolean success = false;
    try {
      String mark = w.getLiveCommitData() == null ? null : readMark(w);
      this.applied = mark == null ? 0 : Long.parseLong(mark);
      this.committed = applied;
      this.searchers = new SearcherManager(w, new VersionedSearcherFactory());
      this.writer = w;
      success = true;
    } finally {
      if (!success) {
        w.rollback();
      }
    }
  }

  private static String readMark(IndexWriter w) {
    for (Map.Entry<String, String> e : w.getLiveCommitData()) {
      if (WATERMARK.equals(e.getKey())) {
        return e.getValue();
      }
    }
    return null;
  }

  /** The highest version whose changes this index reflects (searchable, maybe not yet durable). */
  long watermark() {
    return applied;
  }

  /** Number of span documents (for the consistency check on open). */
  int spanCount() throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      return s.getIndexReader().numDocs();
    } finally {
      searchers.release(s);
    }
  }

  /**
   * Reads every byte of every segment against its checksum. Opening an index checks only
   * headers and footers, so a flipped byte inside a segment's vectors or doc values would
   * otherwise be served (wrong scores, a rolled-back span read as open) until a rebuild. Costs
   * one sequential read of the index, once per open.
   */
  void checkIntegrity() throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        leaf.reader().checkIntegrity();
      }
    } finally {
      searchers.release(s);
    }
  }

  /** Drops every document; the caller then catches up from version 0. */
  void clear() throws IOException {
    writer.deleteAll();
    applied = 0;
  }

  /**
   * Applies every span change with a version in (watermark, upTo], read from H2, then makes it
   * searchable. Applying twice is harmless: documents are keyed by span.
   */
  void catchUp(Connection c, long upTo, IntFunction<Layer> layers, boolean progress)
      throws IOException, SQLException {
    long from = applied;
    if (upTo <= from) {
      return;
    }
    int added = 0;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT s.edit_id, s.from_version, s.to_version, l.id, e.visual_key, e.text_key"
                + " FROM edit_spans s JOIN edits e ON e.id = s.edit_id"
                + " JOIN layers l ON l.name = e.layer"
                + " WHERE s.from_version > ? AND s.from_version <= ? ORDER BY s.from_version")) {
      ps.setLong(1, from);
      ps.setLong(2, upTo);
      ps.setFetchSize(1000);
      Progress bar = progress ? new Progress("rebuilding index " + location, total(c, from, upTo))
          : null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long editId = rs.getLong(1);
          long fromV = rs.getLong(2);
          long toV = rs.getLong(3);
          long to = rs.wasNull() || toV > upTo ? Long.MAX_VALUE : toV;
          Layer layer = layers.apply(rs.getInt(4));
          byte[] visual = rs.getBytes(5);
          float[] text = VectorCodec.decode(rs.getBytes(6));
          writer.updateDocument(spanTerm(editId, fromV),
              document(layer, editId, fromV, to, visual == null ? null : VectorCodec.decode(visual),
                  text));
          added++;
          if (bar != null) {
            bar.step();
          }
        }
      }
      if (bar != null) {
        bar.done();
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT edit_id, from_version, to_version FROM edit_spans"
                + " WHERE from_version <= ? AND to_version > ? AND to_version <= ?")) {
      ps.setLong(1, from);
      ps.setLong(2, from);
      ps.setLong(3, upTo);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          writer.updateNumericDocValue(spanTerm(rs.getLong(1), rs.getLong(2)), TO, rs.getLong(3));
        }
      }
    }
    applied = upTo;
    searchers.maybeRefreshBlocking();
    // A version that changed no span leaves the searcher as it was: it now reflects upTo too.
    IndexSearcher current = searchers.acquire();
    try {
      ((VersionedSearcher) current).upTo = upTo;
    } finally {
      searchers.release(current);
    }
    if (added > 10_000) {
      LOG.info("{} - index caught up from version {} to {} ({} spans)", location, from, upTo,
          added);
    }
  }

  private static long total(Connection c, long from, long upTo) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT COUNT(*) FROM edit_spans WHERE from_version > ? AND from_version <= ?")) {
      ps.setLong(1, from);
      ps.setLong(2, upTo);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Makes what is applied durable, with its watermark, if {@code everyVersions} have passed. */
  void maybeCommit(int everyVersions, boolean force) throws IOException {
    if (applied == committed || (!force && applied - committed < everyVersions)) {
      return;
    }
    writer.setLiveCommitData(Map.of(WATERMARK, Long.toString(applied)).entrySet());
    writer.commit();
    committed = applied;
  }

  private static Term spanTerm(long editId, long fromVersion) {
    return new Term(SPAN, editId + ":" + fromVersion);
  }

  private static Document document(
      Layer layer, long editId, long from, long to, float[] visual, float[] text) {
    Document d = new Document();
    d.add(new StringField(SPAN, editId + ":" + from, Field.Store.NO));
    d.add(new NumericDocValuesField(EDIT, editId));
    d.add(new StringField(LAYER, layer.name(), Field.Store.NO));
    d.add(new LongPoint(FROM, from));
    d.add(new NumericDocValuesField(TO, to));
    if (visual != null && layer.hasVisual()) {
      d.add(new KnnFloatVectorField(visualField(layer), layer.visualSimilarity().indexed(visual),
          layer.visualSimilarity().lucene));
    }
    d.add(new KnnFloatVectorField(textField(layer), layer.textSimilarity().indexed(text),
        layer.textSimilarity().lucene));
    return d;
  }

  private static String visualField(Layer layer) {
    return "v" + layer.id();
  }

  private static String textField(Layer layer) {
    return "t" + layer.id();
  }

  /**
   * Spans of the layer active at the version. At the version the searcher reflects this is just
   * "still open": the same query at every version, so its cached bits carry over to segments a
   * commit left unchanged.
   */
  private static Query filter(Layer layer, long version, boolean latest) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    b.add(new TermQuery(new Term(LAYER, layer.name())), Occur.FILTER);
    if (latest) {
      b.add(NumericDocValuesField.newSlowExactQuery(TO, Long.MAX_VALUE), Occur.FILTER);
    } else {
      b.add(LongPoint.newRangeQuery(FROM, Long.MIN_VALUE, version), Occur.FILTER);
      b.add(NumericDocValuesField.newSlowRangeQuery(TO, version + 1, Long.MAX_VALUE),
          Occur.FILTER);
    }
    return new ConstantScoreQuery(b.build());
  }

  /** Number of the layer's edits active at the version. */
  int count(Layer layer, long version) throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      return s.count(filter(layer, version, isLatest(s, version)));
    } finally {
      searchers.release(s);
    }
  }

  /**
   * The k edits of the layer, active at the version, most similar to the primary query (visual
   * key, or text key on a text-only layer), best first, with raw similarities.
   */
  List<KeyHit> search(Layer layer, float[] primary, float[] text, int k, long version,
      SearchMode mode) throws IOException {
    boolean visual = layer.hasVisual();
    Similarity primarySim = visual ? layer.visualSimilarity() : layer.textSimilarity();
    String primaryField = visual ? visualField(layer) : textField(layer);
    float[] pq = primarySim.indexed(primary);
    float[] tq = text == null ? null : layer.textSimilarity().indexed(text);
    IndexSearcher s = searchers.acquire();
    try {
      Query filter = filter(layer, version, isLatest(s, version));
      List<LeafReaderContext> leaves = s.getIndexReader().leaves();
      List<int[]> docs; // {globalDoc}
      if (mode == SearchMode.HNSW) {
        ScoreDoc[] top = s.search(new KnnFloatVectorQuery(primaryField, pq, k, filter), k).scoreDocs;
        docs = new ArrayList<>(top.length);
        for (ScoreDoc sd : top) {
          docs.add(new int[] {sd.doc});
        }
      } else {
        docs = exactTop(s, leaves, filter, primaryField, pq, k);
      }
      // Score the hits leaf by leaf in doc order: one vector reader per leaf and field.
      docs.sort(Comparator.comparingInt(d -> d[0]));
      List<KeyHit> hits = new ArrayList<>(docs.size());
      String tf = textField(layer);
      int i = 0;
      while (i < docs.size()) {
        LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(docs.get(i)[0], leaves));
        FloatVectorValues pv = leaf.reader().getFloatVectorValues(primaryField);
        KnnVectorValues.DocIndexIterator pit = pv.iterator();
        FloatVectorValues tv = tq == null ? null : leaf.reader().getFloatVectorValues(tf);
        KnnVectorValues.DocIndexIterator tit = tv == null ? null : tv.iterator();
        NumericDocValues ids = leaf.reader().getNumericDocValues(EDIT);
        int end = leaf.docBase + leaf.reader().maxDoc();
        for (; i < docs.size() && docs.get(i)[0] < end; i++) {
          int local = docs.get(i)[0] - leaf.docBase;
          float p = dot(pv, pit, local, pq);
          float t = tv == null ? Float.NaN : dot(tv, tit, local, tq);
          ids.advanceExact(local);
          hits.add(new KeyHit(ids.longValue(), p, t));
        }
      }
      hits.sort(Comparator.comparingDouble((KeyHit h) -> -h.primary())
          .thenComparingLong(KeyHit::editId));
      return hits;
    } finally {
      searchers.release(s);
    }
  }

  /**
   * True if the searcher reflects exactly this version. Deciding it from the searcher in hand, not
   * from the store's latest version, matters: a commit may land between the two, and the "still
   * open" filter on a newer searcher would show the newer version.
   */
  private boolean isLatest(IndexSearcher s, long version) {
    long upTo = ((VersionedSearcher) s).upTo;
    if (version > upTo) {
      throw new IllegalStateException("index " + location + " reflects version " + upTo
          + " but version " + version + " was asked for; the store announces a version only"
          + " after its index has applied it");
    }
    return version == upTo;
  }

  /** Raw similarity of one document's stored vector with an (indexed-form) query. */
  private static float dot(FloatVectorValues values, KnnVectorValues.DocIndexIterator it, int doc,
      float[] q) throws IOException {
    if (it.docID() > doc || it.advance(doc) != doc) {
      throw new IllegalStateException("index document " + doc + " lacks a vector");
    }
    return org.apache.lucene.util.VectorUtil.dotProduct(values.vectorValue(it.index()), q);
  }

  /** Linear scan of every matching document, keeping the k best by raw similarity. */
  private static List<int[]> exactTop(IndexSearcher s, List<LeafReaderContext> leaves,
      Query filter, String field, float[] q, int k) throws IOException {
    PriorityQueue<float[]> heap = new PriorityQueue<>(Comparator.comparingDouble(a -> a[0]));
    Weight w = s.createWeight(s.rewrite(filter), ScoreMode.COMPLETE_NO_SCORES, 1f);
    for (LeafReaderContext leaf : leaves) {
      Scorer scorer = w.scorer(leaf);
      FloatVectorValues values = leaf.reader().getFloatVectorValues(field);
      if (scorer == null || values == null) {
        continue;
      }
      Bits live = leaf.reader().getLiveDocs();
      DocIdSetIterator docs = scorer.iterator();
      KnnVectorValues.DocIndexIterator vit = values.iterator();
      for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
        if ((live != null && !live.get(doc)) || vit.advance(doc) != doc) {
          continue;
        }
        float sim = org.apache.lucene.util.VectorUtil.dotProduct(values.vectorValue(vit.index()), q);
        if (heap.size() < k) {
          heap.add(new float[] {sim, leaf.docBase + doc});
        } else if (sim > heap.peek()[0]) {
          heap.poll();
          heap.add(new float[] {sim, leaf.docBase + doc});
        }
      }
    }
    List<int[]> out = new ArrayList<>(heap.size());
    for (float[] e : heap) {
      out.add(new int[] {(int) e[1]});
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    try {
      maybeCommit(1, true);
    } finally {
      try {
        searchers.close();
      } finally {
        try {
          writer.close();
        } finally {
          directory.close();
        }
      }
    }
  }

  /** Closes without committing (used when the index is about to be rebuilt). */
  void abandon() {
    try {
      searchers.close();
      writer.rollback();
      directory.close();
    } catch (IOException | RuntimeException e) {
      LOG.warn("{} - closing an abandoned index failed: {}", location, e.toString());
    }
  }

  /** A searcher and the highest version whose changes its reader holds. */
  private static final class VersionedSearcher extends IndexSearcher {
    // Raised (never lowered) by the writer after a catch-up that changed nothing.
    volatile long upTo;

    VersionedSearcher(IndexReader reader, long upTo) {
      super(reader);
      this.upTo = upTo;
    }
  }

  /**
   * Versioned searchers whose filter cache takes every segment and every filter. Lucene's default
   * skips segments under 10,000 documents and filters used only a few times; here the same "layer,
   * active at v" filter repeats on every query, so computing it once per reader (a rollback's
   * doc-value update makes a new reader, hence a fresh entry) removes a linear pass per query.
   * A new searcher is made on open and by the refresh at the end of a catch-up, after
   * {@link #applied} has been set to the version its reader holds.
   */
  private final class VersionedSearcherFactory extends SearcherFactory {
    private final LRUQueryCache cache = new LRUQueryCache(256, 64L << 20, leaf -> true, 1f);

    @Override
    public IndexSearcher newSearcher(IndexReader reader, IndexReader previous) {
      IndexSearcher s = new VersionedSearcher(reader, applied);
      s.setQueryCache(cache);
      s.setQueryCachingPolicy(ALWAYS);
      return s;
    }
  }

  private static final QueryCachingPolicy ALWAYS =
      new QueryCachingPolicy() {
        @Override
        public void onUse(Query query) {}

        @Override
        public boolean shouldCache(Query query) {
          return true;
        }
      };

  /** A console progress bar for long rebuilds (only drawn when there is real work). */
  private static final class Progress {
    private final String what;
    private final long total;
    private long done;
    private int shown = -1;

    Progress(String what, long total) {
      this.what = what;
      this.total = total;
    }

    void step() {
      done++;
      if (total < 5_000) {
        return;
      }
      int pct = (int) (100 * done / total);
      if (pct != shown && pct % 5 == 0) {
        shown = pct;
        int bars = pct / 5;
        System.err.printf("\r%s [%s%s] %3d%% (%d/%d)", what, "#".repeat(bars),
            " ".repeat(20 - bars), pct, done, total);
      }
    }

    void done() {
      if (total >= 5_000) {
        System.err.println();
      }
    }
  }
}
