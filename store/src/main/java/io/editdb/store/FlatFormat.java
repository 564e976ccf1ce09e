package io.editdb.store;

import java.io.IOException;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.hnsw.FlatVectorScorerUtil;
import org.apache.lucene.codecs.lucene99.Lucene99FlatVectorsFormat;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;

/**
 * Vectors stored without a graph, for keys that are read but never searched: the text key of a
 * layer with visual keys (the visual key finds the candidates; their text keys are only read to
 * score them). Building and merging an HNSW graph for them would double the indexing cost for
 * nothing. Lucene's flat format with the dimension limit raised to {@link Layer#MAX_KEY_DIM};
 * registered through SPI under the name {@value #NAME}. A search on such a field finds nothing.
 */
public final class FlatFormat extends KnnVectorsFormat {
  static final String NAME = "EditDbFlat";
  private final KnnVectorsFormat delegate =
      new Lucene99FlatVectorsFormat(FlatVectorScorerUtil.getLucene99FlatVectorsScorer());

  public FlatFormat() {
    super(NAME);
  }

  @Override
  public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
    return delegate.fieldsWriter(state);
  }

  @Override
  public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException {
    return delegate.fieldsReader(state);
  }

  @Override
  public int getMaxDimensions(String fieldName) {
    return Layer.MAX_KEY_DIM;
  }

  @Override
  public String toString() {
    return NAME + "(" + delegate + ")";
  }
}
