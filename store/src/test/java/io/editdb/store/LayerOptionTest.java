package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Every layer option, from its one declaration: defaults, rules, the row round trip, hashing. */
class LayerOptionTest {

  /** A layer with every option at its default. */
  private static Layer.Builder bare(String name) {
    return Layer.builder(
        name, "tiny", "layers.0", Fixtures.D, Fixtures.D, Fixtures.VIS, Fixtures.TXT);
  }

  /** A value of the option's type other than its default, within its rule. */
  private static Object other(LayerOption o) {
    if (o.type().isEnum()) {
      Object[] all = o.type().getEnumConstants();
      return all[0].equals(o.defaultValue()) ? all[1] : all[0];
    }
    if (o.type() == Integer.class) {
      return (Integer) o.defaultValue() + 1;
    }
    return o == LayerOption.MIN_GATE
        ? 0.5
        : (o == LayerOption.VISUAL_THRESHOLD ? 0.5 : (Double) o.defaultValue() + 2.5);
  }

  @Test
  void everyOptionRoundTripsThroughTheStoreWithItsOwnColumn() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      Layer defaults = s.createLayer(bare("plain").build(), "t");
      Layer.Builder b = bare("tuned");
      for (LayerOption o : LayerOption.values()) {
        assertEquals(o.defaultValue(), defaults.option(o), o + " default");
        b.opt(o, other(o));
      }
      s.createLayer(b.build(), "t");
      Layer back = s.layer("tuned");
      for (LayerOption o : LayerOption.values()) {
        assertEquals(other(o), back.option(o), o + " read back from its column " + o.column());
      }
      assertTrue(s.verifyHistory().ok(), "the history verifies with both layers");
    }
  }

  @Test
  void aBadValueNamesTheOptionItsRuleAndItsDefault() {
    for (LayerOption o : LayerOption.values()) {
      Object bad =
          o.type() == Integer.class
              ? Integer.valueOf(-7)
              : o.type() == Double.class ? Double.valueOf(Double.NaN) : "SIDEWAYS";
      StoreException e =
          assertThrows(StoreException.class, () -> bare("x").opt(o, bad).build(), o.name());
      assertTrue(e.getMessage().startsWith(o.column() + " must be "), e.getMessage());
      assertTrue(
          e.getMessage().contains("leave " + o.name() + " out for " + o.defaultValue()),
          e.getMessage());
    }
  }

  @Test
  void aLateOptionIsHashedOnlyWhenItIsNotItsDefault() {
    Layer plain = bare("h").build().withIdentity(1, 1);
    Layer zero = bare("h").opt(LayerOption.VISUAL_WEIGHT, 0.0).build().withIdentity(1, 1);
    Layer set = bare("h").opt(LayerOption.VISUAL_WEIGHT, 30).build().withIdentity(1, 1);
    assertEquals(HistoryChain.layerHash(plain), HistoryChain.layerHash(zero));
    assertNotEquals(HistoryChain.layerHash(plain), HistoryChain.layerHash(set));
    for (LayerOption o : LayerOption.values()) {
      Layer changed = bare("h").opt(o, other(o)).build().withIdentity(1, 1);
      assertNotEquals(
          HistoryChain.layerHash(plain),
          HistoryChain.layerHash(changed),
          o + " is covered by the layer hash");
    }
    // the options map is immutable
    assertThrows(
        UnsupportedOperationException.class, () -> plain.options().put(LayerOption.TOP_K, 9));
  }
}
