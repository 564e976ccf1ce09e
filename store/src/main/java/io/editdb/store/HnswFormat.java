package io.editdb.store;

import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;

/**
 * Lucene's HNSW format with the dimension limit raised to {@link Layer#MAX_KEY_DIM}, registered
 * through SPI under the name {@value #NAME}.
 */
public final class HnswFormat extends WideVectorsFormat {
  static final String NAME = "EditDbHnsw";

  /** SPI constructor (used when reading); writing parameters do not matter then. */
  public HnswFormat() {
    this(Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN, Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH);
  }

  HnswFormat(int maxConn, int beamWidth) {
    super(NAME, new Lucene99HnswVectorsFormat(maxConn, beamWidth));
  }
}
