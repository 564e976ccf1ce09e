package io.editdb.store;

import java.io.IOException;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;

/**
 * Lucene's HNSW format with the dimension limit raised from Lucene's default 1024 to {@link
 * Layer#MAX_KEY_DIM} (LiveEdit's keys are 4 slots of 1024). Registered through SPI under the name
 * {@value #NAME} so segments written with it can be read back.
 */
public final class HnswFormat extends KnnVectorsFormat {
  static final String NAME = "EditDbHnsw";
  private final KnnVectorsFormat delegate;

  /** SPI constructor (used when reading); writing parameters do not matter then. */
  public HnswFormat() {
    this(Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN, Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH);
  }

  HnswFormat(int maxConn, int beamWidth) {
    super(NAME);
    this.delegate = new Lucene99HnswVectorsFormat(maxConn, beamWidth);
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
