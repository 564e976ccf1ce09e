package io.editdb.ecosystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;
import org.junit.jupiter.api.Test;

/** Jdbi 3 maps edits into records and gets new ids, with no EditDB-specific code. */
class JdbiTest {

  /** An edit as an application keeps it. */
  public record Edit(long id, String prompt, String target, float[] visualKey, float[] textKey) {}

  @Test
  void mapsAnEditIntoARecordWithFloatArrayKeysAndGetsTheNewId() throws Exception {
    String url = Stores.memUrl("jdbi");
    try (Connection keepOpen = Stores.withLayer(url)) {
      Jdbi jdbi = Jdbi.create(url, "ana", "");
      jdbi.registerRowMapper(ConstructorMapper.factory(Edit.class));
      long id =
          jdbi.withHandle(
              h ->
                  h.createUpdate(
                          "INSERT INTO edits (layer, prompt, target, visual_key, text_key,"
                              + " expert_a, expert_b, rank) VALUES (:layer, :prompt, :target,"
                              + " :visual, :text, :a, :b, 2)")
                      .bind("layer", "small")
                      .bind("prompt", "which way is north?")
                      .bind("target", "up")
                      .bind("visual", Stores.axis(4, 2))
                      .bind("text", Stores.axis(3, 1))
                      .bind("a", Stores.weights(16, 5))
                      .bind("b", Stores.weights(16, 6))
                      .executeAndReturnGeneratedKeys("id")
                      .mapTo(Long.class)
                      .one());
      long returned =
          jdbi.withHandle(
              h ->
                  h.createQuery(
                          "INSERT INTO edits (layer, prompt, target, visual_key, text_key,"
                              + " expert_a, expert_b) VALUES ('small', 'and south?', 'down',"
                              + " :visual, :text, :a, :b) RETURNING id")
                      .bind("visual", Stores.axis(4, 3))
                      .bind("text", Stores.axis(3, 2))
                      .bind("a", Stores.weights(16, 7))
                      .bind("b", Stores.weights(16, 8))
                      .mapTo(Long.class)
                      .one());
      assertEquals(id + 1, returned);

      Edit edit =
          jdbi.withHandle(
              h ->
                  h.createQuery(
                          "SELECT id, prompt, target, visual_key, text_key FROM edits WHERE id ="
                              + " :id")
                      .bind("id", id)
                      .mapTo(Edit.class)
                      .one());
      assertEquals(id, edit.id());
      assertEquals("which way is north?", edit.prompt());
      assertEquals("up", edit.target());
      assertArrayEquals(Stores.axis(4, 2), edit.visualKey());
      assertArrayEquals(Stores.axis(3, 1), edit.textKey());

      List<Map<String, Object>> maps =
          jdbi.withHandle(
              h -> h.createQuery("SELECT prompt, target FROM edits ORDER BY id").mapToMap().list());
      assertEquals("which way is north?", maps.get(0).get("prompt"));
      assertEquals("down", maps.get(1).get("target"));
    }
  }
}
