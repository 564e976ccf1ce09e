package io.editdb.store;

import java.io.Closeable;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene103.Lucene103Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.ConcurrentMergeScheduler;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.MergePolicy;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.LRUQueryCache;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryCachingPolicy;
import org.apache.lucene.search.SearcherFactory;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.store.Directory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The derived Lucene index of the keys: one document per activity span of an edit (an insert or a
 * restore opens a span, a rollback closes it). Fields:
 *
 * <ul>
 *   <li>{@code span}: keyword "editId:fromVersion", the document's identity (idempotent updates)
 *   <li>{@code edit}: doc value, the edit id; {@code layer}: keyword, the layer name
 *   <li>{@code from}: point, the version that opened the span
 *   <li>{@code to}: updatable doc value, the version that closed it ({@link Long#MAX_VALUE} while
 *       open); a rollback updates this value and never re-indexes the vectors
 *   <li>{@code v<layerId>}, {@code t<layerId>}: vector fields of the visual and text keys; HNSW,
 *       except the text key of a layer with visual keys, which is only read, never searched, and is
 *       stored flat ({@link FlatFormat}; segments written before that keep their graph)
 * </ul>
 *
 * The commit user data key {@value #WATERMARK} holds the highest version the commit reflects. Not
 * thread-safe for writes: the store calls the write methods under its writer lock. Reads are
 * thread-safe: each search uses one searcher, which knows the version it reflects.
 */
final class KeyIndex implements Closeable {
  static final String WATERMARK = "editdb.version";
  private static final Logger LOG = LoggerFactory.getLogger(KeyIndex.class);
  private static final String SPAN = "span";
  static final String EDIT = "edit";
  static final String LAYER = "layer";
  static final String FROM = "from";
  static final String TO = "to";

  /** Each segment holds at least this many times the documents of all smaller ones. */
  static final int MERGE_FANOUT = 10;

  private static final KnnVectorsFormat FLAT = new FlatFormat();

  private final Directory directory;
  private final IndexWriter writer;
  private final SearcherManager searchers;
  private final KeySearch search;

  /** The graph-searched segments' routing copies, made as segments appear (see RoutingCopies). */
  private final RoutingCopies copies;

  /** Held while changes are applied, so a merge's reader refresh never shows half a version. */
  private final ReentrantLock applying = new ReentrantLock();

  private volatile boolean mergedSinceRefresh;

  /** Ids of the layers with visual keys: their text keys are stored without a graph. */
  private final Set<Integer> visualLayers = ConcurrentHashMap.newKeySet();

  private final String location;
  private volatile long applied;
  private long committed;

  /** Opens (or creates) the index; throws if it cannot be read, so the caller can rebuild. */
  KeyIndex(Directory directory, StoreConfig config) throws IOException {
    this.directory = directory;
    this.location = config.location();
    KnnVectorsFormat format = new HnswFormat(config.hnswMaxConn(), config.hnswBeamWidth());
    this.copies = new RoutingCopies(config.routingCopyBytes(), location);
    IndexWriterConfig iwc =
        new IndexWriterConfig()
            .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
            .setRAMBufferSizeMB(256)
            .setMergePolicy(new LeveledMergePolicy(MERGE_FANOUT, config.segmentMaxSpans()))
            .setMergeScheduler(new RefreshingMergeScheduler())
            .setMergedSegmentWarmer(copies::prepare) // a merge lands with its copy (see there)
            .setCodec(
                new Lucene103Codec() {
                  @Override
                  public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                    return field.startsWith("t")
                            && visualLayers.contains(Integer.parseInt(field.substring(1)))
                        ? FLAT
                        : format;
                  }
                });
    IndexWriter w = new IndexWriter(directory, iwc);
    boolean success = false;
    try {
      String mark = w.getLiveCommitData() == null ? null : readMark(w);
      this.applied = mark == null ? 0 : Long.parseLong(mark);
      this.committed = applied;
      this.searchers = new SearcherManager(w, new VersionedSearcherFactory());
      IndexSearcher s = searchers.acquire();
      try { // layers with visual keys in the index (until they index again in this process)
        for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
          for (FieldInfo fi : leaf.reader().getFieldInfos()) {
            if (fi.name.startsWith("v") && fi.getVectorDimension() > 0) {
              visualLayers.add(Integer.parseInt(fi.name.substring(1)));
            }
          }
        }
      } finally {
        searchers.release(s);
      }
      this.search = new KeySearch(searchers, location, copies);
      this.writer = w;
      success = true;
    } finally {
      if (!success) {
        copies.close();
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

  /** Counts and key searches at a version. */
  KeySearch search() {
    return search;
  }

  /**
   * Reads every byte of every segment against its checksum. Opening an index checks only headers
   * and footers, so a flipped byte inside a segment's vectors or doc values would otherwise be
   * served (wrong scores, a rolled-back span read as open) until a rebuild. Costs one sequential
   * read of the index, once per open.
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
    applying.lock();
    try {
      apply(c, upTo, layers, progress);
    } finally {
      applying.unlock();
    }
    if (mergedSinceRefresh) {
      refreshAfterMerge();
    }
  }

  private void apply(Connection c, long upTo, IntFunction<Layer> layers, boolean progress)
      throws IOException, SQLException {
    long from = applied;
    if (upTo <= from) {
      return;
    }
    int added =
        SpanChanges.read(
            c,
            from,
            upTo,
            (editId, fromV, to, layerId, visual, text) -> {
              Layer layer = layers.apply(layerId);
              if (layer.hasVisual()) {
                visualLayers.add(layer.id());
              }
              writer.updateDocument(
                  spanTerm(editId, fromV), document(layer, editId, fromV, to, visual, text));
            },
            (editId, fromV, toV) -> writer.updateNumericDocValue(spanTerm(editId, fromV), TO, toV),
            progress ? "rebuilding index " + location : null);
    applied = upTo;
    mergedSinceRefresh = false;
    searchers.maybeRefreshBlocking();
    // A version that changed no span leaves the searcher as it was: it now reflects upTo too.
    IndexSearcher current = searchers.acquire();
    try {
      ((KeySearch.VersionedSearcher) current).upTo = upTo;
    } finally {
      searchers.release(current);
    }
    if (added > 10_000) {
      LOG.info(
          "{} - index caught up from version {} to {} ({} spans)", location, from, upTo, added);
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
      d.add(
          new KnnFloatVectorField(
              visualField(layer),
              layer.visualSimilarity().indexed(visual),
              layer.visualSimilarity().lucene));
    }
    d.add(
        new KnnFloatVectorField(
            textField(layer), layer.textSimilarity().indexed(text), layer.textSimilarity().lucene));
    return d;
  }

  static String visualField(Layer layer) {
    return "v" + layer.id();
  }

  static String textField(Layer layer) {
    return "t" + layer.id();
  }

  /**
   * Makes merged segments searchable without waiting for the next write: after a bulk load the
   * merges finish in the background, and a reader opened before them would keep walking the
   * unmerged segments. Skipped while changes are being applied (that refresh shows the merge).
   */
  private void refreshAfterMerge() {
    mergedSinceRefresh = true;
    if (!applying.tryLock()) {
      return;
    }
    try {
      mergedSinceRefresh = false;
      searchers.maybeRefreshBlocking();
    } catch (IOException | RuntimeException e) { // closed meanwhile: the next open catches up
      LOG.debug("{} - refresh after a merge failed: {}", location, e.toString());
    } finally {
      applying.unlock();
    }
  }

  /** Heap bytes of the routing copies held now. */
  long routingCopyBytes() {
    return search.routingCopyBytes();
  }

  /**
   * Waits until the background merges are done and searchable; returns the number of segments then
   * (benchmarks and maintenance: a store serves meanwhile, only slower).
   */
  int awaitMerges() throws IOException {
    ConcurrentMergeScheduler cms =
        (ConcurrentMergeScheduler) writer.getConfig().getMergeScheduler();
    do {
      writer.maybeMerge();
      cms.sync();
    } while (writer.hasPendingMerges());
    refreshAfterMerge();
    search.awaitRoutingCopies();
    IndexSearcher s = searchers.acquire();
    try {
      return s.getIndexReader().leaves().size();
    } finally {
      searchers.release(s);
    }
  }

  @Override
  public void close() throws IOException {
    search.close(); // queries have ended: the store closes the index last
    try {
      if (applied != committed || writer.hasUncommittedChanges()) { // changes or finished merges
        writer.setLiveCommitData(Map.of(WATERMARK, Long.toString(applied)).entrySet());
        writer.commit();
        committed = applied;
      }
    } finally {
      try {
        searchers.close();
      } finally {
        try {
          writer.rollback(); // all is committed: aborts running merges instead of waiting
        } finally {
          directory.close();
        }
      }
    }
  }

  /** Closes without committing (used when the index is about to be rebuilt). */
  void abandon() {
    search.close();
    try {
      searchers.close();
      writer.rollback();
      directory.close();
    } catch (IOException | RuntimeException e) {
      LOG.warn("{} - closing an abandoned index failed: {}", location, e.toString());
    }
  }

  /**
   * Lucene's merge scheduler, unthrottled (a merge here is bound by graph building, not disk, and
   * routing is slow until it ends), refreshing the searchers after each merge.
   */
  private final class RefreshingMergeScheduler extends ConcurrentMergeScheduler {
    RefreshingMergeScheduler() {
      disableAutoIOThrottle();
    }

    @Override
    protected void doMerge(MergeSource source, MergePolicy.OneMerge merge) throws IOException {
      super.doMerge(source, merge);
      if (searchers != null) {
        refreshAfterMerge();
      }
    }
  }

  /**
   * Versioned searchers whose filter cache takes every segment and every filter. Lucene's default
   * skips segments under 10,000 documents and filters used only a few times; here the same "layer,
   * active at v" filter repeats on every query, so computing it once per reader (a rollback's
   * doc-value update makes a new reader, hence a fresh entry) removes a linear pass per query. A
   * new searcher is made on open and by the refresh at the end of a catch-up, after {@link
   * #applied} has been set to the version its reader holds.
   */
  private final class VersionedSearcherFactory extends SearcherFactory {
    private final LRUQueryCache cache = new LRUQueryCache(256, 64L << 20, leaf -> true, 1f);

    @Override
    public IndexSearcher newSearcher(IndexReader reader, IndexReader previous) {
      if (previous != null) { // a refresh: its new segments get their copies before they are shown
        Set<IndexReader.CacheKey> shown = new HashSet<>(); // (an open's: on first use)
        for (LeafReaderContext leaf : previous.leaves()) {
          shown.add(leaf.reader().getCoreCacheHelper().getKey());
        }
        for (LeafReaderContext leaf : reader.leaves()) {
          if (!shown.contains(leaf.reader().getCoreCacheHelper().getKey())) {
            copies.prepare(leaf.reader());
          }
        }
      }
      IndexSearcher s = new KeySearch.VersionedSearcher(reader, applied);
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
}
