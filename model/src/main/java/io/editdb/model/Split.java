package io.editdb.model;

/**
 * The fixed splits of the drawn scenes. Each split draws from its own seed stream, so no scene of
 * one split is drawn in another: train fits the host model and any expert generator, validation
 * chooses settings, test is what gets reported.
 */
public enum Split {
  TRAIN,
  VALIDATION,
  TEST
}
