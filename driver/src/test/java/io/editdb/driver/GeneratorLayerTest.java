package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.model.LocalHosts;
import io.editdb.model.Phrasing;
import io.editdb.model.QuestionType;
import io.editdb.model.QuestionType.Kind;
import io.editdb.model.Sample;
import io.editdb.model.Scenes;
import io.editdb.model.Split;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MAKER GENERATOR on the shipped host: one INSERT with a picture makes the expert in one forward
 * pass of LiveEdit's hypernetwork, ASK shows the new answer, a rollback puts the old one back; a
 * layer the generator was not trained for is refused with the store unchanged.
 */
class GeneratorLayerTest {
  private static final Scenes SCENES = Scenes.standard();

  private static String ask(Connection c, String layer, Sample s) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT answer FROM ASK(?, ?, ?)")) {
      ps.setString(1, layer);
      ps.setBytes(2, Scenes.png(s.image()));
      ps.setString(3, s.question());
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        return rs.getString(1);
      }
    }
  }

  private static void insert(Connection c, String layer, Sample s, String target)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO edits (layer, prompt, target, image) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, layer);
      ps.setString(2, s.question());
      ps.setString(3, target);
      ps.setBytes(4, Scenes.png(s.image()));
      ps.executeUpdate();
    }
  }

  @Test
  void aGeneratedExpertChangesTheAnswerUntilRolledBack() throws SQLException {
    try (Connection c = TestDb.connect(TestDb.memUrl("generator"))) {
      c.createStatement()
          .execute(
              "CREATE LAYER gen (HOST '"
                  + LocalHosts.SHIPPED
                  + "', MODULE"
                  + " 'blocks.2', MAKER GENERATOR, EXPERT_KIND LIVEEDIT)");
      List<Sample> countries = new ArrayList<>();
      for (long i = 0; countries.size() < 40; i++) {
        Sample x = SCENES.sample(Split.TEST, i, Kind.ENTITY, Phrasing.TRAIN, 0);
        if (x.type() == QuestionType.ENTITY_COUNTRY) {
          countries.add(x);
        }
      }
      Sample s = countries.get(0);
      String base = ask(c, "gen", s);
      assertEquals(s.answer(), base, "the shipped host answers this test sample right");
      String target =
          countries.stream()
              .map(Sample::answer)
              .filter(a -> !a.equals(base))
              .findFirst()
              .orElseThrow();
      Sample other =
          countries.stream()
              .filter(x -> !x.answer().equals(base) && !x.answer().equals(target))
              .findFirst()
              .orElseThrow();
      String otherBefore = ask(c, "gen", other);
      insert(c, "gen", s, target);
      assertEquals(target, ask(c, "gen", s));
      assertEquals(target, ask(c, "gen", SCENES.redraw(s, 1)), "another drawing of it");
      assertEquals(otherBefore, ask(c, "gen", other), "another company is left alone");
      c.createStatement().execute("ROLLBACK EDIT 1");
      assertEquals(base, ask(c, "gen", s));
    }
  }

  @Test
  void aLayerTheGeneratorWasNotTrainedForIsRefusedAndNothingChanges() throws Exception {
    try (Connection c = TestDb.connect(TestDb.memUrl("generator-bad"))) {
      c.createStatement()
          .execute(
              "CREATE LAYER gen0 (HOST '"
                  + LocalHosts.SHIPPED
                  + "', MODULE"
                  + " 'blocks.0', MAKER GENERATOR, EXPERT_KIND LIVEEDIT)");
      Sample s = SCENES.sample(Split.TEST, 3, Kind.ENTITY, Phrasing.TRAIN, 0);
      String before = StoreFingerprint.of(c);
      SQLException e = assertThrows(SQLException.class, () -> insert(c, "gen0", s, "norway"));
      assertEquals(ErrorCode.INVALID_VALUE.code(), e.getErrorCode(), e::getMessage);
      assertTrue(e.getMessage().contains("blocks.2"), e.getMessage());
      assertEquals(before, StoreFingerprint.of(c));
    }
  }
}
