package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Key searches on segments big enough for the graph (more than {@link KeyIndex#EXACT_LEAF} spans
 * each), with another layer's spans in the same segments, before and after rollbacks, at the latest
 * and at a past version: the exact scan equals a brute-force reference, and HNSW finds only active
 * edits of the layer, with high recall.
 */
class KeyIndexTest {
  private static final int K = 48;
  private final long seed = Fixtures.seed();
  private final Random r = new Random(seed);
  private final Map<Long, float[]> keys = new HashMap<>();

  @Test
  void graphSearchKeepsFilterAndRecallOnLargeSegments() {
    run(Fixtures.layer("big"));
  }

  /** A text-only layer searches its text keys' graph (visual layers store text keys flat). */
  @Test
  void textOnlyLayerSearchesItsTextGraph() {
    run(
        Layer.builder("big", "tiny-lm", "model.layers.1", Fixtures.D, Fixtures.D, 0, Fixtures.TXT)
            .opt(LayerOption.MAX_RANK, 4));
  }

  /**
   * A segment of more than {@link RoutingCopies#MIN_KEYS} spans is walked through its routing copy
   * once made: the same filter (another layer's spans beside it, rollbacks, a past version) and the
   * same recall bar as Lucene's graph; a rollback makes a new reader of the same segment, and the
   * copy serves it without being made again.
   */
  @Test
  void routingCopyKeepsFilterAndRecall() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("big").build(), "admin");
      s.createLayer(Fixtures.layer("other").build(), "admin");
      List<Long> big = new ArrayList<>();
      int other = 0;
      try (StoreSession ss = s.openSession("u")) { // one commit: one segment
        for (int i = 0; i < RoutingCopies.MIN_KEYS + 1_000; i++) {
          NewEdit e = Fixtures.edit(r, "big", 1).build();
          long id = ss.insert(e);
          keys.put(id, e.visualKey());
          big.add(id);
          if (i % 10 == 0) {
            ss.insert(Fixtures.edit(r, "other", 1).build());
            other++;
          }
        }
        ss.commit();
      }
      assertEquals(1, s.awaitIndexMerges(), "seed " + seed);
      assertEquals(List.of(big.size() + other), s.indexSegmentSizes());
      long bytes = s.routingCopyBytes();
      assertTrue(bytes > 0, "no routing copy was made");
      Layer l = s.layer("big");
      long before = s.latestVersion();
      check(s, l, before, big.size());
      List<Long> gone = new ArrayList<>(big);
      java.util.Collections.shuffle(gone, r);
      try (StoreSession ss = s.openSession("u")) {
        ss.rollbackEdits(gone.subList(0, 1_000), "bad");
        ss.commit();
      }
      check(s, l, s.latestVersion(), big.size() - 1_000);
      check(s, l, before, big.size());
      assertEquals(bytes, s.routingCopyBytes(), "the copy is the segment's, made once");
    }
  }

  /**
   * In a store that searches, a commit's segment is shown with its routing copy made, so its first
   * queries walk the copy; a segment the router scans (at most {@link SegmentSearch#EXACT_LEAF}
   * spans) gets none. A store that has not searched yet (a bulk import) makes none, and its first
   * search makes a small segment's copy before walking it (so a route and an explanation of one
   * query walk the same graph). The sizes keep the merge policy from merging: each segment holds 10
   * times all smaller ones.
   */
  @Test
  void aCommitShowsItsSegmentWithItsCopyMadeOnceTheStoreSearches() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("big").build(), "admin");
      commit(s, 6_000);
      assertEquals(0, s.routingCopyBytes(), "a store that has not searched made a copy");
      s.searchKeys(
          s.layer("big"),
          Fixtures.unit(r, Fixtures.VIS),
          null,
          K,
          s.latestVersion(),
          SearchMode.HNSW);
      long searched = s.routingCopyBytes(); // a small segment's: made by the search, no wait
      assertTrue(searched > 0, "the first search walked no copy of its small segment");
      commit(s, SegmentSearch.EXACT_LEAF);
      assertEquals(searched, s.routingCopyBytes(), "a scanned segment got a copy");
      commit(s, RoutingCopies.MIN_KEYS);
      assertTrue(
          s.routingCopyBytes() > searched,
          "the segment of " + RoutingCopies.MIN_KEYS + " keys was shown without its copy");
    }
  }

  /** Inserts n edits of layer "big" in one commit: one segment. */
  private void commit(EditStore s, int n) {
    try (StoreSession ss = s.openSession("u")) {
      for (int i = 0; i < n; i++) {
        ss.insert(Fixtures.edit(r, "big", 1).build());
      }
      ss.commit();
    }
  }

  /**
   * A copy over the budget is not kept, and its segment is searched through Lucene's graph with the
   * same hits as a store without copies; a negative budget is refused with the rule.
   */
  @Test
  void routingCopiesStayWithinTheirBudget() {
    List<List<KeyHit>> results = new ArrayList<>();
    float[][] qs = new float[20][];
    for (int i = 0; i < qs.length; i++) {
      qs[i] = Fixtures.unit(r, Fixtures.VIS);
    }
    long keysSeed = r.nextLong();
    for (long budget : new long[] {1, 0}) {
      Random kr = new Random(keysSeed); // the same edits in both stores
      try (EditStore s = EditStore.open(Fixtures.mem().optRoutingCopyBytes(budget))) {
        s.createLayer(Fixtures.layer("big").build(), "admin");
        try (StoreSession ss = s.openSession("u")) {
          for (int i = 0; i < RoutingCopies.MIN_KEYS + 100; i++) {
            ss.insert(Fixtures.edit(kr, "big", 1).build());
          }
          ss.commit();
        }
        assertEquals(1, s.awaitIndexMerges(), "seed " + seed);
        assertEquals(0, s.routingCopyBytes(), "budget " + budget);
        List<KeyHit> hits = new ArrayList<>();
        for (float[] q : qs) {
          hits.addAll(s.searchKeys(s.layer("big"), q, null, K, s.latestVersion(), SearchMode.HNSW));
        }
        results.add(hits);
      }
    }
    assertEquals(results.get(0), results.get(1), "seed " + seed);
    StoreException e =
        assertThrows(StoreException.class, () -> Fixtures.mem().optRoutingCopyBytes(-1));
    assertTrue(e.getMessage().contains("routingCopyBytes=-1"), e.getMessage());
  }

  @Test
  void beamGrowsWithTheSquareRootOfTheSegmentBeyondTheBase() {
    assertEquals(48, SegmentSearch.beam(48, 1));
    assertEquals(48, SegmentSearch.beam(48, SegmentSearch.BEAM_BASE));
    assertEquals(49, SegmentSearch.beam(48, SegmentSearch.BEAM_BASE + 1));
    assertEquals(152, SegmentSearch.beam(48, 10 * SegmentSearch.BEAM_BASE));
    assertEquals(Layer.MAX_CANDIDATES, SegmentSearch.beam(Layer.MAX_CANDIDATES, Integer.MAX_VALUE));
  }

  /**
   * A search's least kept similarity must be a number: NaN is refused with the rule, the value and
   * the fix, and the store answers the same search as before.
   */
  @Test
  void aKeepFromThatIsNoNumberIsRefused() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("big").build(), "admin");
      commit(s, 50);
      Layer l = s.layer("big");
      long v = s.latestVersion();
      float[] vq = Fixtures.unit(r, Fixtures.VIS);
      List<KeyHit> before =
          s.searchKeys(l, vq, null, TextScoring.ALL, K, v, active -> SearchMode.EXACT, 0.5f);
      StoreException e =
          assertThrows(
              StoreException.class,
              () ->
                  s.searchKeys(
                      l, vq, null, TextScoring.ALL, K, v, active -> SearchMode.EXACT, Float.NaN));
      assertEquals(StoreException.Kind.INVALID_VALUE, e.kind());
      assertTrue(
          e.getMessage().contains("keepFrom must be a number")
              && e.getMessage().contains("keepFrom=NaN")
              && e.getMessage().contains("Float.NEGATIVE_INFINITY keeps every hit"),
          e.getMessage());
      assertEquals(v, s.latestVersion());
      assertEquals(
          before,
          s.searchKeys(l, vq, null, TextScoring.ALL, K, v, active -> SearchMode.EXACT, 0.5f));
    }
  }

  /**
   * A search names which hits get a text score: the first {@code best} (by primary similarity, then
   * edit id) at or above {@code from}, with the scores a search of every text key gives; the other
   * hits are the same, with NaN. Across two segments, in both modes.
   */
  @Test
  void textScoresOnlyForTheBestHitsAboveTheFloor() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("big").build(), "admin");
      commit(s, 2_200);
      commit(s, 200);
      s.awaitIndexMerges(); // and the routing copy: every search walks the same graph
      Layer l = s.layer("big");
      long v = s.latestVersion();
      int partial = 0;
      for (SearchMode mode : SearchMode.values()) {
        for (int q = 0; q < 20; q++) {
          float[] vq = Fixtures.unit(r, Fixtures.VIS);
          float[] tq = Fixtures.unit(r, Fixtures.TXT);
          List<KeyHit> all =
              s.searchKeys(
                  l, vq, tq, TextScoring.ALL, K, v, active -> mode, Float.NEGATIVE_INFINITY);
          int best = 1 + r.nextInt(K);
          float from = all.get(r.nextInt(all.size())).primary();
          List<KeyHit> some =
              s.searchKeys(
                  l,
                  vq,
                  tq,
                  new TextScoring(from, best),
                  K,
                  v,
                  active -> mode,
                  Float.NEGATIVE_INFINITY);
          assertEquals(all.size(), some.size(), "seed " + seed);
          for (int i = 0; i < all.size(); i++) {
            KeyHit a = all.get(i);
            KeyHit b = some.get(i);
            assertEquals(a.editId(), b.editId(), "seed " + seed);
            assertEquals(a.primary(), b.primary(), 0f, "seed " + seed);
            boolean named = i < best && a.primary() >= from;
            assertTrue(!Float.isNaN(a.text()), "seed " + seed);
            assertEquals(named ? a.text() : Float.NaN, b.text(), 0f, mode + " hit " + i);
            partial += named ? 0 : 1;
            if (i > 0) { // best first: similarity descending, then edit id
              KeyHit p = all.get(i - 1);
              assertTrue(
                  p.primary() > a.primary()
                      || p.primary() == a.primary() && p.editId() < a.editId(),
                  "order at hit " + i + ", seed " + seed);
            }
          }
        }
      }
      assertTrue(partial > 0, "some hits should go unscored, seed " + seed);
      assertThrows(IllegalArgumentException.class, () -> new TextScoring(0.5f, 0));
      assertThrows(IllegalArgumentException.class, () -> new TextScoring(Float.NaN, 3));
    }
  }

  /**
   * Two segments big enough for the graph are searched at once (one by the query's thread, one by
   * the index's pool): from many threads at a time the hits are those of a search run alone, and
   * they come from both segments.
   */
  @Test
  void segmentsSearchedInParallelGiveTheSerialHits() throws Exception {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("big").build(), "admin");
      Set<Long> second = new HashSet<>();
      for (int size : new int[] {11_500, 1_100}) { // 11,500 >= 10 x 1,100: the policy keeps both
        try (StoreSession ss = s.openSession("u")) {
          for (int i = 0; i < size; i++) {
            long id = ss.insert(Fixtures.edit(r, "big", 1).build());
            if (size == 1_100) {
              second.add(id);
            }
          }
          ss.commit();
        }
      }
      assertEquals(2, s.awaitIndexMerges(), "seed " + seed);
      assertEquals(List.of(11_500, 1_100), s.indexSegmentSizes(), "largest first");
      Layer l = s.layer("big");
      long v = s.latestVersion();
      float[][] qs = new float[100][];
      List<List<KeyHit>> alone = new ArrayList<>();
      for (int i = 0; i < qs.length; i++) {
        qs[i] = Fixtures.unit(r, Fixtures.VIS);
        alone.add(s.searchKeys(l, qs[i], null, K, v, SearchMode.HNSW));
      }
      int fromSecond = 0;
      for (List<KeyHit> hits : alone) {
        fromSecond += (int) hits.stream().filter(h -> second.contains(h.editId())).count();
      }
      assertTrue(
          fromSecond > 0 && fromSecond < qs.length * K,
          fromSecond
              + " of the hits from the smaller segment; both segments should contribute, seed "
              + seed);
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(4);
      try {
        List<java.util.concurrent.Future<Integer>> runs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          runs.add(
              pool.submit(
                  () -> {
                    int same = 0;
                    for (int i = 0; i < qs.length; i++) {
                      same +=
                          s.searchKeys(l, qs[i], null, K, v, SearchMode.HNSW).equals(alone.get(i))
                              ? 1
                              : 0;
                    }
                    return same;
                  }));
        }
        for (java.util.concurrent.Future<Integer> run : runs) {
          assertEquals(qs.length, run.get(), "searches differing from a serial run, seed " + seed);
        }
      } finally {
        pool.shutdown();
      }
    }
  }

  /**
   * An exact scan of more than {@link KeySearch#SCAN_SPLIT} spans is split between the query's
   * thread and the index's pool: from several threads at once it still returns the true top k (a
   * brute-force reference, scores exact), with hits from both segments.
   */
  @Test
  void splitExactScanFindsTheTrueTopK() throws Exception {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("big").build(), "admin");
      Set<Long> second = new HashSet<>();
      for (int size : new int[] {KeySearch.SCAN_SPLIT, KeySearch.SCAN_SPLIT / 10}) {
        try (StoreSession ss = s.openSession("u")) { // 10x apart: the policy keeps both segments
          for (int i = 0; i < size; i++) {
            NewEdit e = Fixtures.edit(r, "big", 1).build();
            long id = ss.insert(e);
            keys.put(id, e.visualKey());
            if (size < KeySearch.SCAN_SPLIT) {
              second.add(id);
            }
          }
          ss.commit();
        }
      }
      Layer l = s.layer("big");
      long v = s.latestVersion();
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(3);
      try {
        List<java.util.concurrent.Future<Integer>> runs = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
          long queriesSeed = r.nextLong();
          runs.add(
              pool.submit(
                  () -> {
                    Random qr = new Random(queriesSeed);
                    int fromSecond = 0;
                    for (int q = 0; q < 30; q++) {
                      float[] query = Fixtures.unit(qr, Fixtures.VIS);
                      List<KeyHit> exact = s.searchKeys(l, query, null, K, v, SearchMode.EXACT);
                      List<Long> truth = bruteForceTop(keys.keySet(), query);
                      assertEquals(K, exact.size(), "seed " + seed);
                      for (int i = 0; i < K; i++) { // by score: rounding may swap near-ties
                        assertEquals(
                            dot(keys.get(truth.get(i)), query),
                            exact.get(i).primary(),
                            1e-5,
                            "seed " + seed);
                        fromSecond += second.contains(exact.get(i).editId()) ? 1 : 0;
                      }
                    }
                    return fromSecond;
                  }));
        }
        for (java.util.concurrent.Future<Integer> run : runs) {
          int fromSecond = run.get();
          assertTrue(
              fromSecond > 0 && fromSecond < 30 * K,
              fromSecond + " hits from the smaller segment; both should contribute, seed " + seed);
        }
      } finally {
        pool.shutdown();
      }
    }
  }

  private void run(Layer.Builder layer) {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(layer.build(), "admin");
      s.createLayer(Fixtures.layer("other").build(), "admin");
      List<Long> big = new ArrayList<>();
      for (int c = 0; c < 3; c++) {
        try (StoreSession ss = s.openSession("u")) {
          for (int i = 0; i < 1500; i++) {
            NewEdit.Builder b = Fixtures.edit(r, "big", 1);
            NewEdit e = s.layer("big").hasVisual() ? b.build() : b.visualKey(null).build();
            long id = ss.insert(e);
            keys.put(id, s.layer("big").hasVisual() ? e.visualKey() : e.textKey());
            big.add(id);
            if (i % 10 == 0) {
              ss.insert(Fixtures.edit(r, "other", 1).build());
            }
          }
          ss.commit();
        }
      }
      Layer l = s.layer("big");
      long before = s.latestVersion();
      check(s, l, before, 4500);

      List<Long> gone = new ArrayList<>(big.subList(0, 4500));
      java.util.Collections.shuffle(gone, r);
      gone = gone.subList(0, 500);
      try (StoreSession ss = s.openSession("u")) {
        ss.rollbackEdits(gone, "bad");
        ss.commit();
      }
      check(s, l, s.latestVersion(), 4000);
      check(s, l, before, 4500); // a past version still sees the rolled-back edits
    }
  }

  private void check(EditStore s, Layer l, long version, int active) {
    assertEquals(active, s.activeCount(l, version), "seed " + seed);
    Set<Long> alive = new HashSet<>(s.activeEditIds("big", version));
    long found = 0;
    long wanted = 0;
    for (int q = 0; q < 40; q++) {
      float[] query = Fixtures.unit(r, l.hasVisual() ? Fixtures.VIS : Fixtures.TXT);
      List<Long> truth = bruteForceTop(alive, query);
      List<KeyHit> exact = s.searchKeys(l, query, null, K, version, SearchMode.EXACT);
      assertEquals(truth.size(), exact.size(), "seed " + seed);
      for (int i = 0; i < exact.size(); i++) { // by score: float rounding may swap near-ties
        KeyHit h = exact.get(i);
        assertTrue(alive.contains(h.editId()), "exact found an inactive edit, seed " + seed);
        assertEquals(dot(keys.get(h.editId()), query), h.primary(), 1e-5, "seed " + seed);
        assertEquals(dot(keys.get(truth.get(i)), query), h.primary(), 1e-5, "seed " + seed);
      }
      List<KeyHit> graph = s.searchKeys(l, query, null, K, version, SearchMode.HNSW);
      for (KeyHit h : graph) { // the graph finds them; their scores are exact
        assertEquals(dot(keys.get(h.editId()), query), h.primary(), 1e-5, "seed " + seed);
      }
      Set<Long> hnsw = ids(graph);
      assertTrue(alive.containsAll(hnsw), "HNSW found an inactive edit, seed " + seed);
      wanted += truth.size();
      hnsw.retainAll(truth);
      found += hnsw.size();
    }
    double recall = (double) found / wanted;
    assertTrue(
        recall >= 0.95, "HNSW recall " + recall + " at version " + version + ", seed " + seed);
  }

  /** The K of {@code ids} most similar to the query by their stored keys (ties: lower id first). */
  private List<Long> bruteForceTop(java.util.Collection<Long> ids, float[] query) {
    return ids.stream()
        .sorted(
            Comparator.comparingDouble((Long id) -> -dot(keys.get(id), query))
                .thenComparingLong(id -> id))
        .limit(K)
        .toList();
  }

  private static Set<Long> ids(List<KeyHit> hits) {
    Set<Long> ids = new HashSet<>();
    for (KeyHit h : hits) {
      ids.add(h.editId());
    }
    return ids;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
