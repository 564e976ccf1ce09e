package io.editdb.store;

import io.editdb.store.SegmentSearch.Spans;
import io.editdb.store.SegmentSearch.TopHits;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.ConstantScoreQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.Weight;

/**
 * The reads of {@link KeyIndex}: counts and key searches at a version, each on one searcher that
 * knows the version it reflects. It decides which segments to scan and which to graph-search, and
 * in which threads ({@link SegmentSearch} searches one segment), and caches per segment reader the
 * spans open at the latest version. Thread-safe.
 */
final class KeySearch {
  private final SearcherManager searchers;
  private final String location;

  /**
   * Scans of more spans than this in one query are split across the leaf pool and the query's
   * thread (right after a bulk load, the index holds many small segments until its merges finish,
   * and every one of them is scanned).
   */
  static final int SCAN_SPLIT = 8_192;

  /**
   * Searches other segments (graphs, groups of scans) while a query's thread searches one; null on
   * 1 core.
   */
  private final ThreadPoolExecutor leafPool = leafPool();

  /** Per segment reader and layer name: the spans open at the latest version. */
  private final Map<IndexReader.CacheKey, Map<String, Spans>> latestSpans =
      new ConcurrentHashMap<>();

  /** Int8 copies of the segments' graphs, walked instead of Lucene's (see RoutingCopy). */
  private final RoutingCopies copies;

  KeySearch(SearcherManager searchers, String location, RoutingCopies copies) {
    this.searchers = searchers;
    this.location = location;
    this.copies = copies;
  }

  private static ThreadPoolExecutor leafPool() {
    int threads = Runtime.getRuntime().availableProcessors() - 1;
    if (threads < 1) {
      return null;
    }
    AtomicInteger made = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "editdb-leaf-search-" + made.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
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

  /** Live documents of each segment the index is searched in now, largest first. */
  List<Integer> segmentSizes() throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      List<Integer> sizes = new ArrayList<>();
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        sizes.add(leaf.reader().numDocs());
      }
      sizes.sort(Comparator.reverseOrder());
      return sizes;
    } finally {
      searchers.release(s);
    }
  }

  /**
   * Spans of the layer active at the version. At the version the searcher reflects this is just
   * "still open": the same query at every version, so its cached bits carry over to segments a
   * commit left unchanged.
   */
  private static Query filter(Layer layer, long version, boolean latest) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    b.add(new TermQuery(new Term(KeyIndex.LAYER, layer.name())), Occur.FILTER);
    if (latest) {
      b.add(NumericDocValuesField.newSlowExactQuery(KeyIndex.TO, Long.MAX_VALUE), Occur.FILTER);
    } else {
      b.add(LongPoint.newRangeQuery(KeyIndex.FROM, Long.MIN_VALUE, version), Occur.FILTER);
      b.add(
          NumericDocValuesField.newSlowRangeQuery(KeyIndex.TO, version + 1, Long.MAX_VALUE),
          Occur.FILTER);
    }
    return new ConstantScoreQuery(b.build());
  }

  /** Number of the layer's edits active at the version. */
  int count(Layer layer, long version) throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      if (!isLatest(s, version)) {
        return s.count(filter(layer, version, false));
      }
      int n = 0;
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        n += openSpans(s, leaf, layer).count();
      }
      return n;
    } finally {
      searchers.release(s);
    }
  }

  /**
   * The k edits of the layer, active at the version, most similar to the primary query (visual key,
   * or text key on a text-only layer), best first, with raw similarities.
   *
   * <p>Segment by segment: a segment with at most {@link SegmentSearch#EXACT_LEAF} active spans is
   * scanned (a copy of a graph that small is not worth making, and the scan is exact), a larger one
   * is searched through its HNSW graph (its routing copy's, once made), falling back to the scan
   * when the graph search would visit more nodes than the segment has active spans (Lucene's own
   * rule). The set of active spans of a segment at the latest version is computed once per segment
   * reader and reused, so a query pays no pass over the filter.
   */
  List<KeyHit> search(
      Layer layer,
      float[] primary,
      float[] text,
      TextScoring scoring,
      int k,
      long version,
      IntFunction<SearchMode> modeForActive,
      float keepFrom)
      throws IOException {
    boolean visual = layer.hasVisual();
    Similarity primarySim = visual ? layer.visualSimilarity() : layer.textSimilarity();
    String primaryField = visual ? KeyIndex.visualField(layer) : KeyIndex.textField(layer);
    float[] pq = primarySim.indexed(primary);
    float floor = walkFloor(primarySim, keepFrom);
    float[] tq = text == null ? null : layer.textSimilarity().indexed(text);
    IndexSearcher s = searchers.acquire();
    try {
      boolean latest = isLatest(s, version);
      List<LeafReaderContext> leaves = s.getIndexReader().leaves();
      Weight pastFilter =
          latest
              ? null
              : s.createWeight(
                  s.rewrite(filter(layer, version, false)), ScoreMode.COMPLETE_NO_SCORES, 1f);
      TopHits top = new TopHits(k);
      List<Graph> active = new ArrayList<>();
      int count = 0;
      for (LeafReaderContext leaf : leaves) {
        FloatVectorValues values = leaf.reader().getFloatVectorValues(primaryField);
        if (values == null) {
          continue;
        }
        Spans spans = latest ? openSpans(s, leaf, layer) : Spans.of(leaf, pastFilter);
        if (spans.count() > 0) {
          active.add(new Graph(leaf, spans, values));
          count += spans.count();
        }
      }
      if (count == 0) {
        return List.of();
      }
      SearchMode mode = modeForActive.apply(count); // on this reader: what the search sees
      List<Graph> graphLeaves = new ArrayList<>();
      List<Graph> scanLeaves = new ArrayList<>();
      int scanned = 0;
      for (Graph g : active) {
        if (mode == SearchMode.EXACT || g.spans().count() <= SegmentSearch.EXACT_LEAF) {
          scanLeaves.add(g);
          scanned += g.spans().count();
        } else {
          graphLeaves.add(g);
        }
      }
      List<FutureTask<TopHits>> tasks = new ArrayList<>();
      graphLeaves.stream() // largest first: the caller's own
          .sorted(Comparator.comparingInt((Graph g) -> -g.spans().count()))
          .forEach(
              g ->
                  tasks.add(
                      new FutureTask<>(
                          () ->
                              SegmentSearch.graphSearch(
                                  g.leaf(),
                                  g.spans(),
                                  g.values(),
                                  primaryField,
                                  pq,
                                  k,
                                  copies.get(g.leaf().reader(), primaryField, g.values().size()),
                                  floor))));
      int groups = leafPool == null || scanned < SCAN_SPLIT ? 1 : leafPool.getMaximumPoolSize() + 1;
      for (List<Graph> group : balanced(scanLeaves, groups)) {
        tasks.add(
            new FutureTask<>(
                () -> {
                  TopHits part = new TopHits(k);
                  for (Graph g : group) {
                    SegmentSearch.scan(g.leaf(), g.spans(), g.values(), pq, part);
                  }
                  return part;
                }));
      }
      searchAll(tasks, top);
      return SegmentSearch.hits(leaves, top, tq, KeyIndex.textField(layer), scoring);
    } finally {
      searchers.release(s);
    }
  }

  /**
   * How far below the least similarity the caller keeps a graph walk still keeps keys once it has
   * found one at or above that: the way between two kept keys may pass through keys a little less
   * similar. Unit-length keys (cosine, dot) have similarities in [-1, 1]; RoutingBench's keys lie
   * at about 0.8 to their own cluster and about 0 to the others, so any margin up to about 0.7
   * walks them alike.
   */
  static final float WALK_MARGIN = 0.2f;

  /**
   * The similarity below which a graph walk need not keep keys (see {@link RoutingCopy#search}):
   * {@link #WALK_MARGIN} under the least the caller keeps, on the bounded similarities; none when
   * the caller keeps every hit or the similarity is unbounded (maximum inner product, whose scale
   * no fixed margin fits).
   */
  static float walkFloor(Similarity sim, float keepFrom) {
    if (sim == Similarity.MAX_INNER_PRODUCT || keepFrom == Float.NEGATIVE_INFINITY) {
      return Float.NEGATIVE_INFINITY;
    }
    return keepFrom - WALK_MARGIN;
  }

  /** One segment a query searches: its active spans and its vectors (read by one task only). */
  private record Graph(LeafReaderContext leaf, Spans spans, FloatVectorValues values) {}

  /**
   * The segments to scan, in at most {@code groups} groups of about equal spans (the largest
   * segment first into the lightest group); none empty.
   */
  private static List<List<Graph>> balanced(List<Graph> leaves, int groups) {
    List<List<Graph>> out = new ArrayList<>();
    int[] load = new int[Math.max(1, Math.min(groups, leaves.size()))];
    for (int i = 0; i < load.length; i++) {
      out.add(new ArrayList<>());
    }
    List<Graph> bySize = new ArrayList<>(leaves);
    bySize.sort(Comparator.comparingInt((Graph g) -> -g.spans().count()));
    for (Graph g : bySize) {
      int lightest = 0;
      for (int i = 1; i < load.length; i++) {
        lightest = load[i] < load[lightest] ? i : lightest;
      }
      out.get(lightest).add(g);
      load[lightest] += g.spans().count();
    }
    out.removeIf(List::isEmpty);
    return out;
  }

  /**
   * Runs the searches of a query's segments (graph searches, and scans in groups), in parallel when
   * there are several: all but the first go to the leaf pool, the caller runs the first and then
   * any the pool has not started yet (a task runs once, whoever gets to it), so a busy pool never
   * makes a query wait.
   */
  private void searchAll(List<FutureTask<TopHits>> tasks, TopHits top) throws IOException {
    if (leafPool != null) {
      try {
        for (FutureTask<TopHits> g : tasks.subList(Math.min(1, tasks.size()), tasks.size())) {
          leafPool.execute(g);
        }
      } catch (RejectedExecutionException closing) {
        // the index is closing: the caller runs what was not handed over
      }
    }
    for (FutureTask<TopHits> g : tasks) {
      g.run();
    }
    Throwable failed = null;
    boolean interrupted = false;
    for (FutureTask<TopHits> g : tasks) { // every task ends before the searcher is released
      while (true) {
        try {
          top.offerAll(g.get());
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          failed = failed == null ? e.getCause() : failed;
          break;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (failed instanceof IOException io) {
      throw io;
    }
    if (failed instanceof RuntimeException re) {
      throw re;
    }
    if (failed != null) {
      throw new IllegalStateException("graph search of " + location + " failed", failed);
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
      throw new IllegalStateException(
          "index "
              + location
              + " reflects version "
              + upTo
              + " but version "
              + version
              + " was asked for; the store announces a version only"
              + " after its index has applied it");
    }
    return version == upTo;
  }

  /**
   * The spans of the layer open at the latest version in one segment, cached per segment reader: a
   * new reader of the segment (after a rollback updated its {@code to} values, or a deletion) has a
   * new cache key, and a closed reader's entry is dropped.
   */
  private Spans openSpans(IndexSearcher s, LeafReaderContext leaf, Layer layer) throws IOException {
    IndexReader.CacheHelper helper = leaf.reader().getReaderCacheHelper();
    if (helper == null) {
      return Spans.of(leaf, openFilter(s, layer));
    }
    Map<String, Spans> perLayer = latestSpans.get(helper.getKey());
    if (perLayer == null) {
      perLayer = new ConcurrentHashMap<>();
      Map<String, Spans> prior = latestSpans.putIfAbsent(helper.getKey(), perLayer);
      if (prior == null) {
        helper.addClosedListener(latestSpans::remove);
      } else {
        perLayer = prior;
      }
    }
    Spans spans = perLayer.get(layer.name());
    if (spans == null) {
      spans = Spans.of(leaf, openFilter(s, layer));
      if (spans.bits() != null
          && leaf.reader().getLiveDocs() == null
          && spans.count() == leaf.reader().docFreq(new Term(KeyIndex.LAYER, layer.name()))) {
        spans = new Spans(spans.count(), null); // every span of the layer here is open
      }
      perLayer.put(layer.name(), spans);
    }
    return spans;
  }

  private static Weight openFilter(IndexSearcher s, Layer layer) throws IOException {
    return s.createWeight(
        s.rewrite(filter(layer, Long.MAX_VALUE, true)), ScoreMode.COMPLETE_NO_SCORES, 1f);
  }

  /**
   * Makes the routing copies of the graphs of the segments searched now, and waits for them (the
   * index's settled state, for benchmarks and tests; queries ask for them as they need them).
   */
  void awaitRoutingCopies() throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        copies.makeNow(leaf.reader());
      }
      copies.await(); // and those the background was making
    } finally {
      searchers.release(s);
    }
  }

  /** Heap bytes of the routing copies held now. */
  long routingCopyBytes() {
    return copies.bytes();
  }

  /** Stops the leaf pool: queries have ended (the index closes last). */
  void close() {
    copies.close();
    if (leafPool != null) {
      leafPool.shutdown();
    }
  }

  /** A searcher and the highest version whose changes its reader holds. */
  static final class VersionedSearcher extends IndexSearcher {
    // Raised (never lowered) by the writer after a catch-up that changed nothing.
    volatile long upTo;

    VersionedSearcher(IndexReader reader, long upTo) {
      super(reader);
      this.upTo = upTo;
    }
  }
}
