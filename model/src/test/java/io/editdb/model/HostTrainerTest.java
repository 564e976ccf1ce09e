package io.editdb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.model.QuestionType.Kind;
import org.junit.jupiter.api.Test;

class HostTrainerTest {

  /** A few seconds of training on a small host must clearly learn, or the training code broke. */
  @Test
  void aShortRunLearns() {
    Scenes scenes = Scenes.standard();
    HostTrainer.Options o =
        new HostTrainer.Options(new HostConfig(48, 2, 2, 96, 12), 160, 64, 4e-3f, 5, 300);
    HostTrainer.Result r = HostTrainer.train(o, scenes, line -> {});
    try (SceneHost host = r.host()) {
      assertEquals(160, r.steps(), "the run stopped early: " + r);
      assertTrue(r.lastLoss() < 0.6 * r.firstLoss(), "loss did not drop: " + r);
      // Chance over the whole answer vocabulary is 1/377; even guessing within the right kind of
      // answer (one of 12 capitals, 5 continents, 3 colours, 9 numbers) averages about 0.13.
      HostTrainer.Evaluation text =
          HostTrainer.evaluate(host, scenes, Split.VALIDATION, Phrasing.TRAIN, Kind.TEXT, 200);
      assertTrue(text.accuracy() > 0.2, "text-only accuracy " + text);
      HostTrainer.Evaluation objects =
          HostTrainer.evaluate(host, scenes, Split.VALIDATION, Phrasing.TRAIN, Kind.OBJECTS, 300);
      System.out.printf(
          "HostTrainerTest - %d steps in %.1fs, loss %.3f -> %.3f, text %.3f," + " objects %.3f%n",
          r.steps(), r.seconds(), r.firstLoss(), r.lastLoss(), text.accuracy(), objects.accuracy());
      // Guessing within the right answer type (e.g. one of six colours) averages about 0.3.
      assertTrue(objects.accuracy() > 0.2, "object accuracy " + objects);
    }
  }

  /** The train command end to end, two steps long: both files written, the weights load. */
  @Test
  void theCommandWritesWeightsAndTheirRecord(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
    HostTrainer.main(
        new String[] {
          "--steps", "2", "--batch", "8", "--eval", "40", "--seed", "3", "--out", dir.toString()
        });
    String record = java.nio.file.Files.readString(dir.resolve("host-v1.json"));
    assertTrue(record.contains("\"steps\": 2,"), record);
    assertTrue(record.contains("\"init_seed\": 3,"), record);
    assertTrue(record.contains("\"data_version\": \"" + Scenes.DATA_VERSION + "\""), record);
    assertTrue(record.contains("--steps 2 --batch 8"), record);
    try (java.io.InputStream in =
            java.nio.file.Files.newInputStream(dir.resolve("host-v1.params"));
        SceneHost host = SceneHost.load(in)) {
      assertEquals(HostConfig.DEFAULT, host.config());
    }
    assertThrows(
        IllegalArgumentException.class, () -> HostTrainer.main(new String[] {"--stpes", "2"}));
    assertThrows(IllegalArgumentException.class, () -> HostTrainer.main(new String[] {"--steps"}));
  }

  @Test
  void optionsAreValidated() {
    HostConfig c = HostConfig.DEFAULT;
    assertThrows(
        IllegalArgumentException.class, () -> new HostTrainer.Options(c, 0, 8, 1e-3f, 1, 1));
    assertThrows(
        IllegalArgumentException.class, () -> new HostTrainer.Options(c, 1, 0, 1e-3f, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new HostTrainer.Options(c, 1, 8, 0f, 1, 1));
    assertThrows(
        IllegalArgumentException.class, () -> new HostTrainer.Options(c, 1, 8, Float.NaN, 1, 1));
    assertThrows(
        IllegalArgumentException.class, () -> new HostTrainer.Options(c, 1, 8, 1e-3f, 1, 0));
    assertThrows(
        IllegalArgumentException.class, () -> new HostTrainer.Options(null, 1, 8, 1e-3f, 1, 1));
    new HostTrainer.Options(c, 1, 1, 1e-3f, 1, 1); // the smallest valid run
    assertThrows(
        IllegalArgumentException.class,
        () -> HostTrainer.evaluate(null, Scenes.standard(), Split.TEST, Phrasing.TRAIN, null, 0));
  }
}
