package io.editdb.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.store.KeyHit;
import io.editdb.store.Layer;
import io.editdb.store.LayerOption;
import io.editdb.store.StoreException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * visual_weight: of candidates asked the same question, the closest picture takes the gate; the
 * closest candidate's own logit, and so a lone candidate's gate, is what the text gives.
 */
class VisualWeightTest {

  private static Layer layer(double visualWeight) {
    return Layer.builder("l", "m", "x", 4, 4, 8, 8)
        .opt(LayerOption.VISUAL_WEIGHT, visualWeight)
        .build();
  }

  private static double gateOf(List<Candidate> cs, long id) {
    return cs.stream().filter(c -> c.editId() == id).findFirst().orElseThrow().gate();
  }

  @Test
  void theClosestPictureWinsAmongTheSameQuestion() {
    List<KeyHit> hits = List.of(new KeyHit(1, 0.93f, 1f), new KeyHit(2, 0.99f, 1f));
    List<Candidate> plain = Router.decide(layer(0), hits, 0.8);
    assertEquals(gateOf(plain, 1), gateOf(plain, 2), 1e-6, "LiveEdit's gates: a tie");
    assertTrue(gateOf(plain, 2) < 0.51, "each about half: " + plain);
    List<Candidate> weighted = Router.decide(layer(100), hits, 0.8);
    assertTrue(gateOf(weighted, 2) > 0.99, "the closer picture: " + weighted);
    assertTrue(gateOf(weighted, 1) < 0.01, "the farther one: " + weighted);
  }

  @Test
  void aLoneCandidateKeepsTheGateItsTextGives() {
    List<KeyHit> one = List.of(new KeyHit(7, 0.85f, 0.4f));
    assertEquals(
        gateOf(Router.decide(layer(0), one, 0.8), 7),
        gateOf(Router.decide(layer(100), one, 0.8), 7),
        1e-9);
  }

  @Test
  void aNegativeOrInfiniteWeightIsRefused() {
    for (double w : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY}) {
      StoreException e = assertThrows(StoreException.class, () -> layer(w));
      assertTrue(
          e.getMessage().contains("visual_weight must be a finite number >= 0"), e.getMessage());
    }
  }
}
