package io.editdb.store;

/** How a key search visits the candidates. */
public enum SearchMode {
  /** Lucene's HNSW graph, filtered by layer and version: sublinear, approximate. */
  HNSW,
  /** Every active key of the layer at the version: linear, exact. */
  EXACT
}
