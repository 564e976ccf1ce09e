package io.editdb.store;

import java.io.IOException;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;

/**
 * A Lucene vectors format under an EditDB name with the dimension limit raised from Lucene's
 * default 1024 to {@link Layer#MAX_KEY_DIM} (LiveEdit's keys are 4 slots of 1024); reading and
 * writing are the delegate's. Subclasses are registered through SPI under their names, so segments
 * written with them can be read back.
 */
abstract class WideVectorsFormat extends KnnVectorsFormat {
  private final KnnVectorsFormat delegate;

  WideVectorsFormat(String name, KnnVectorsFormat delegate) {
    super(name);
    this.delegate = delegate;
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
    return getName() + "(" + delegate + ")";
  }
}
