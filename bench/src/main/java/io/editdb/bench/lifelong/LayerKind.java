package io.editdb.bench.lifelong;

import io.editdb.cli.VisualKeys;

/** The two host-layer shapes benchmarked: with visual keys, and text-only (visual_dim 0). */
public enum LayerKind {
  VISUAL("visual", VisualKeys.DIM),
  TEXT_ONLY("text-only", 0);

  private final String label;
  private final int visualDim;

  LayerKind(String label, int visualDim) {
    this.label = label;
    this.visualDim = visualDim;
  }

  public String label() {
    return label;
  }

  public int visualDim() {
    return visualDim;
  }

  public boolean visual() {
    return visualDim > 0;
  }
}
