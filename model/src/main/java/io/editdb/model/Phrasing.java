package io.editdb.model;

/**
 * Which paraphrases of a question template a sample may use. {@link #TRAIN} phrasings are the only
 * ones the host model and expert makers ever see while training; {@link #HELD_OUT} phrasings are
 * kept to measure generality (T-Gen) and never appear in a training sample.
 */
public enum Phrasing {
  TRAIN,
  HELD_OUT
}
