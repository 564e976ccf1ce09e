package io.editdb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.model.QuestionType.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The trained weights in the repository: they load from the classpath and still answer well. */
class ShippedHostTest {
  private static final Scenes SCENES = Scenes.standard();
  private static SceneHost host;

  @BeforeAll
  static void load() {
    host = SceneHost.load();
  }

  @AfterAll
  static void close() {
    host.close();
  }

  @Test
  void answersHeldOutTestScenesAtLeast95PercentRight() {
    HostTrainer.Evaluation e =
        HostTrainer.evaluate(host, SCENES, Split.TEST, Phrasing.TRAIN, null, 600);
    System.out.println("ShippedHostTest - test accuracy " + e.accuracy() + " " + e.byType());
    assertTrue(e.accuracy() >= 0.95, "test accuracy " + e.accuracy() + " by type " + e.byType());
  }

  /** Paraphrases it never saw in training: what an edit's T-Gen rests on. */
  @Test
  void understandsHeldOutPhrasings() {
    HostTrainer.Evaluation e =
        HostTrainer.evaluate(host, SCENES, Split.TEST, Phrasing.HELD_OUT, null, 600);
    System.out.println("ShippedHostTest - held-out phrasings " + e.accuracy() + " " + e.byType());
    assertTrue(
        e.accuracy() >= 0.85, "held-out phrasing accuracy " + e.accuracy() + " " + e.byType());
  }

  @Test
  void matchesTheDataItWasTrainedOn() throws IOException {
    assertEquals(Scenes.DATA_VERSION, host.dataVersion());
    assertEquals(SCENES.answers(), host.answers());
    try (InputStream in = SceneHost.class.getResourceAsStream("/io/editdb/model/host-v1.json")) {
      assertNotNull(in, "host-v1.json must sit beside the weights");
      String record = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(record.contains("\"data_version\": \"" + Scenes.DATA_VERSION + "\""), record);
      assertTrue(record.contains("\"scenes_seed\": " + Scenes.DEFAULT_SEED), record);
    }
  }

  /** The visual filter needs keys that find the same entity in another drawing. */
  @Test
  void aRedrawnEntityIsNearerThanAnotherEntity() {
    int nearer = 0;
    int n = 60;
    for (int i = 0; i < n; i++) {
      Sample s = SCENES.sample(Split.TEST, i, Kind.ENTITY, Phrasing.TRAIN, 0);
      Sample other = SCENES.sample(Split.TEST, i + 1000, Kind.ENTITY, Phrasing.TRAIN, 0);
      if (other.entityId() == s.entityId()) {
        continue;
      }
      float[][] k = host.visualKeys(List.of(s.image(), SCENES.redraw(s, 1).image(), other.image()));
      nearer += dot(k[0], k[1]) > dot(k[0], k[2]) ? 1 : 0;
    }
    assertTrue(nearer >= 0.8 * n, nearer + " of " + n + " redraws nearer than another entity");
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
