package io.editdb.bench.lifelong;

import io.editdb.store.GateMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** One benchmarked layer: its kind and gate mode (the router is chosen per query). */
public record LayerConfig(LayerKind kind, GateMode gate) {

  /** Visual layers first, LIVEEDIT before SOFTMAX: the order of every table and chart. */
  public static List<LayerConfig> all() {
    List<LayerConfig> out = new ArrayList<>();
    for (LayerKind k : LayerKind.values()) {
      for (GateMode g : GateMode.values()) {
        out.add(new LayerConfig(k, g));
      }
    }
    return out;
  }

  /** A store layer name for this configuration, e.g. {@code visual_softmax}. */
  public String layerName(String prefix) {
    return (prefix + kind.name() + "_" + gate.name()).toLowerCase(Locale.ROOT);
  }

  public String label() {
    return kind.label() + " " + gate.name();
  }
}
