package io.editdb.query;

/**
 * One routing request: a layer, the query's visual key (null for a text-only query), its text key,
 * optionally a version (null = latest) and a per-query visual threshold (null = the layer's;
 * LiveEdit computes one per query from a learned sentinel key).
 */
public record RouteQuery(
    String layer, float[] visualKey, float[] textKey, Long version, Double visualThreshold) {

  /** At the latest version with the layer's threshold. */
  public static RouteQuery of(String layer, float[] visualKey, float[] textKey) {
    return new RouteQuery(layer, visualKey, textKey, null, null);
  }

  public RouteQuery atVersion(long v) {
    return new RouteQuery(layer, visualKey, textKey, v, visualThreshold);
  }

  public RouteQuery withThreshold(double t) {
    return new RouteQuery(layer, visualKey, textKey, version, t);
  }
}
