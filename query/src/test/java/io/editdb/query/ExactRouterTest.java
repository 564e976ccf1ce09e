package io.editdb.query;

import io.editdb.store.SearchMode;

/** The conformance suite on the exact scan. */
class ExactRouterTest extends RouterConformanceTest {
  @Override
  SearchMode mode() {
    return SearchMode.EXACT;
  }
}
