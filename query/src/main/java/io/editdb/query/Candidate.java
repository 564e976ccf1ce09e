package io.editdb.query;

/**
 * One edit the router considered, with every number of its decision: visual score and whether it
 * passed the hard filter, text score, gate (0 if it never got one), whether it was kept, and why
 * (e.g. "kept", "visual 0.612 < threshold 0.800", "gate 0.004 < min_gate 0.010").
 */
public record Candidate(
    long editId,
    float visualScore,
    boolean passedFilter,
    float textScore,
    float gate,
    boolean kept,
    String why) {}
