package io.editdb.query;

import io.editdb.store.SearchMode;

/** The conformance suite on Lucene's HNSW graph. */
class HnswRouterTest extends RouterConformanceTest {
  @Override
  SearchMode mode() {
    return SearchMode.HNSW;
  }
}
