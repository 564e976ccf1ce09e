package io.editdb.store;

import org.apache.lucene.codecs.hnsw.FlatVectorScorerUtil;
import org.apache.lucene.codecs.lucene99.Lucene99FlatVectorsFormat;

/**
 * Vectors stored without a graph, for keys that are read but never searched: the text key of a
 * layer with visual keys (the visual key finds the candidates; their text keys are only read to
 * score them). Building and merging an HNSW graph for them would double the indexing cost for
 * nothing. Lucene's flat format with the dimension limit raised to {@link Layer#MAX_KEY_DIM};
 * registered through SPI under the name {@value #NAME} (versioned as {@link HnswFormat}'s). A
 * search on such a field finds nothing.
 */
public final class FlatFormat extends WideVectorsFormat {
  static final String NAME = "EditDbFlat1";

  public FlatFormat() {
    super(NAME, new Lucene99FlatVectorsFormat(FlatVectorScorerUtil.getLucene99FlatVectorsScorer()));
  }

  /** Reads segments written as {@code EditDbFlat}, before formats carried a version. */
  public static final class Legacy extends WideVectorsFormat {
    public Legacy() {
      super(
          "EditDbFlat",
          new Lucene99FlatVectorsFormat(FlatVectorScorerUtil.getLucene99FlatVectorsScorer()));
    }
  }
}
