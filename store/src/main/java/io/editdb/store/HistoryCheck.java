package io.editdb.store;

/**
 * The result of {@link EditStore#verifyHistory()}: whether the hash chain and the content hashes
 * hold, how many rows were checked, and the first row that does not (null when ok).
 */
public record HistoryCheck(boolean ok, long checked, Long firstBadSeq, String problem) {}
