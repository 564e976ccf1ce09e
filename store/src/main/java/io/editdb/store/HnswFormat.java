package io.editdb.store;

import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;

/**
 * Lucene's HNSW format with the dimension limit raised to {@link Layer#MAX_KEY_DIM}, registered
 * through SPI under the name {@value #NAME}. The name carries the format's version: a change that
 * old segments cannot be read with gets a new name, and the old one stays registered for reading
 * ({@link Legacy}), or the index is rebuilt from the truth.
 */
public final class HnswFormat extends WideVectorsFormat {
  static final String NAME = "EditDbHnsw1";

  /** SPI constructor (used when reading); writing parameters do not matter then. */
  public HnswFormat() {
    this(Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN, Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH);
  }

  HnswFormat(int maxConn, int beamWidth) {
    super(NAME, new Lucene99HnswVectorsFormat(maxConn, beamWidth));
  }

  /**
   * Reads segments written before formats carried a version (name {@code EditDbHnsw}, the same
   * vectors and graph); new segments and merges are written as {@value #NAME}.
   */
  public static final class Legacy extends WideVectorsFormat {
    public Legacy() {
      super(
          "EditDbHnsw",
          new Lucene99HnswVectorsFormat(
              Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN,
              Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH));
    }
  }
}
