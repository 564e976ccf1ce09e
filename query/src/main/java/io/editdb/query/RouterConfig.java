package io.editdb.query;

import io.editdb.store.SearchMode;

/**
 * Router tuning. Immutable; validated here.
 *
 * <ul>
 *   <li>{@code exactBelow}: below this many active edits in a layer the exact scan is used (it is
 *       about as fast there, and exact); at or above it, HNSW. RoutingBench, one segment, 512-float
 *       keys: 2,000 edits 0.43 ms exact vs 0.24 ms HNSW, 4,000 0.38 vs 0.11 ms. (Within an HNSW
 *       search the store scans any segment of at most 1,024 active edits anyway.)
 *   <li>{@code efSearch}: nearest keys each search returns at least (Lucene's k, for HNSW recall);
 *       the hard filter then keeps at most the layer's max_candidates, and explain shows the rest
 *       as rejected.
 *   <li>{@code forcedMode}: null lets the router choose; EXACT or HNSW pins it (benchmarks,
 *       conformance tests).
 * </ul>
 */
public record RouterConfig(int exactBelow, int efSearch, SearchMode forcedMode) {
  public static final RouterConfig DEFAULT = new RouterConfig(2048, 48, null);

  public RouterConfig {
    if (exactBelow < 0) {
      throw new IllegalArgumentException("exactBelow must be 0 or more; exactBelow=" + exactBelow);
    }
    if (efSearch < 1 || efSearch > 1024) {
      throw new IllegalArgumentException(
          "efSearch must be between 1 and 1024; efSearch=" + efSearch);
    }
  }

  public RouterConfig withForcedMode(SearchMode mode) {
    return new RouterConfig(exactBelow, efSearch, mode);
  }

  @Override
  public String toString() {
    return "RouterConfig{exactBelow="
        + exactBelow
        + ", efSearch="
        + efSearch
        + ", forcedMode="
        + (forcedMode == null ? "auto" : forcedMode)
        + "}";
  }
}
