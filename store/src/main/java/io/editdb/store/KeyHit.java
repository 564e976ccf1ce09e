package io.editdb.store;

/**
 * One edit found by a key search: its raw similarity on the searched key ({@code primary}: the
 * visual key, or the text key on a text-only layer) and on the text key ({@code text}). Raw means a
 * dot product or a cosine, never Lucene's transformed score.
 */
public record KeyHit(long editId, float primary, float text) {}
