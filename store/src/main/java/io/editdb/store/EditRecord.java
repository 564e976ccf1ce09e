package io.editdb.store;

import java.time.OffsetDateTime;

/**
 * An edit as stored: provenance, keys, weights (in their stored {@link VectorCodec} form) and its
 * current state. {@code retiredVersion} is null while the edit is active; {@code tokenMask} is null
 * when the expert acts on every token position; {@code queryRegion} is null unless the positions
 * are chosen again in each query by that rule (e.g. {@code TOP 4}).
 */
public record EditRecord(
    long id,
    String layer,
    String prompt,
    String target,
    String imageRef,
    float[] visualKey,
    float[] textKey,
    byte[] expertA,
    byte[] expertB,
    WeightDtype weightDtype,
    int rank,
    float alpha,
    String author,
    String reason,
    boolean active,
    long createdVersion,
    OffsetDateTime createdAt,
    Long retiredVersion,
    OffsetDateTime retiredAt,
    int[] tokenMask,
    String queryRegion) {}
