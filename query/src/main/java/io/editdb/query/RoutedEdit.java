package io.editdb.query;

/**
 * An edit chosen for a query: its visual score (raw similarity times visual_scale), its text score
 * (raw similarity times text_scale) and its gate, the weight its expert gets.
 */
public record RoutedEdit(long editId, float visualScore, float textScore, float gate) {}
