package io.editdb.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.apache.lucene.index.FilterMergePolicy;
import org.apache.lucene.index.MergeTrigger;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.TieredMergePolicy;

/**
 * Keeps the key index in few segments, because an HNSW search costs about the same in every segment
 * whatever its size: a query walks one graph per segment, so 20 segments cost about 20 times one
 * (measured: 100,000 keys in 23 segments routed in 4-8 ms, in one segment 0.2 ms).
 *
 * <p>Rule: with the segments not being merged sorted by live documents descending, each must hold
 * at least {@code fanout} times the documents of all smaller ones together; at the first one that
 * does not, it and all smaller ones are merged into one. The sizes then grow geometrically, so a
 * store of n documents flushed b at a time has about log(n / b) / log(fanout + 1) segments, and the
 * largest ones few. The merge cost stays moderate because Lucene builds a merged graph from the
 * largest input graph and inserts only the other inputs' vectors: a document is re-inserted about
 * once per level it climbs. Lucene's tiered policy, by contrast, keeps about segments-per-tier (8)
 * segments at every size tier.
 *
 * <p>A segment with at least {@code maxSegmentDocs} live documents is full: it takes part in no
 * more merges (until deletions bring it under), and the documents after it start new levels. Past
 * that size one graph costs more to search than two halves searched in parallel (see {@link
 * StoreConfig#optSegmentMaxSpans}).
 *
 * <p>Forced merges are left to the tiered policy. Segments are not merged while a commit or a
 * reader refresh waits (no full-flush merges): a commit stays fast and the small segments it leaves
 * are cheap to search (the router walks their routing copies, and scans the smallest).
 */
final class LeveledMergePolicy extends FilterMergePolicy {
  private final int fanout;
  private final long maxSegmentDocs;

  LeveledMergePolicy(int fanout, long maxSegmentDocs) {
    super(new TieredMergePolicy());
    if (fanout < 2) {
      throw new IllegalArgumentException("fanout must be at least 2; fanout=" + fanout);
    }
    if (maxSegmentDocs < 1) {
      throw new IllegalArgumentException(
          "maxSegmentDocs must be positive; maxSegmentDocs=" + maxSegmentDocs);
    }
    this.fanout = fanout;
    this.maxSegmentDocs = maxSegmentDocs;
  }

  @Override
  public MergeSpecification findMerges(
      MergeTrigger trigger, SegmentInfos infos, MergeContext context) {
    Set<SegmentCommitInfo> merging = context.getMergingSegments();
    List<SegmentCommitInfo> free = new ArrayList<>();
    long tail = 0;
    for (SegmentCommitInfo info : infos) {
      long docs = live(info, context);
      if (!merging.contains(info) && docs < maxSegmentDocs) {
        free.add(info);
        tail += docs;
      }
    }
    free.sort(Comparator.comparingLong((SegmentCommitInfo i) -> live(i, context)).reversed());
    for (int i = 0; i < free.size() - 1; i++) {
      long size = live(free.get(i), context);
      tail -= size;
      if (size < fanout * tail) {
        MergeSpecification spec = new MergeSpecification();
        spec.add(new OneMerge(new ArrayList<>(free.subList(i, free.size()))));
        return spec;
      }
    }
    return null;
  }

  @Override
  public MergeSpecification findFullFlushMerges(
      MergeTrigger trigger, SegmentInfos infos, MergeContext context) {
    return null;
  }

  private static long live(SegmentCommitInfo info, MergeContext context) {
    return info.info.maxDoc() - (long) context.numDeletedDocs(info);
  }

  @Override
  public String toString() {
    return "LeveledMergePolicy{fanout=" + fanout + ", maxSegmentDocs=" + maxSegmentDocs + "}";
  }
}
