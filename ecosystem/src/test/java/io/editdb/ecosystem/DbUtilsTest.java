package io.editdb.ecosystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.util.List;
import java.util.Map;
import org.apache.commons.dbutils.BasicRowProcessor;
import org.apache.commons.dbutils.GenerousBeanProcessor;
import org.apache.commons.dbutils.QueryRunner;
import org.apache.commons.dbutils.handlers.BeanListHandler;
import org.apache.commons.dbutils.handlers.MapListHandler;
import org.junit.jupiter.api.Test;

/** Commons DbUtils fills beans and maps from edits with no EditDB-specific code. */
class DbUtilsTest {

  /** A bean as DbUtils fills it: a public no-argument constructor and setters. */
  public static class EditBean {
    private long id;
    private String prompt;
    private float[] visualKey;
    private float[] textKey;
    private float[] expertA;

    public long getId() {
      return id;
    }

    public void setId(long id) {
      this.id = id;
    }

    public String getPrompt() {
      return prompt;
    }

    public void setPrompt(String prompt) {
      this.prompt = prompt;
    }

    public float[] getVisualKey() {
      return visualKey;
    }

    public void setVisualKey(float[] visualKey) {
      this.visualKey = visualKey;
    }

    public float[] getTextKey() {
      return textKey;
    }

    public void setTextKey(float[] textKey) {
      this.textKey = textKey;
    }

    public float[] getExpertA() {
      return expertA;
    }

    public void setExpertA(float[] expertA) {
      this.expertA = expertA;
    }
  }

  @Test
  void beanListHandlerFillsFloatArrayFields() throws Exception {
    try (Connection c = Stores.withLayer(Stores.memUrl("dbutils"))) {
      long first = Stores.insert(c, "what colour is the cube?", 1, 2);
      Stores.insert(c, "how many cubes?", 3, 0);
      List<EditBean> beans =
          new QueryRunner()
              .query(
                  c,
                  "SELECT id, prompt, visual_key, text_key, expert_a FROM edits ORDER BY id",
                  new BeanListHandler<>(
                      EditBean.class, new BasicRowProcessor(new GenerousBeanProcessor())));
      assertEquals(2, beans.size());
      EditBean b = beans.get(0);
      assertEquals(first, b.getId());
      assertEquals("what colour is the cube?", b.getPrompt());
      assertArrayEquals(Stores.axis(4, 1), b.getVisualKey());
      assertArrayEquals(Stores.axis(3, 2), b.getTextKey());
      assertArrayEquals(Stores.weights(16, 1), b.getExpertA());
      assertArrayEquals(Stores.axis(4, 3), beans.get(1).getVisualKey());
    }
  }

  @Test
  void mapListHandlerReadsPromptsAsStrings() throws Exception {
    try (Connection c = Stores.withLayer(Stores.memUrl("dbutils-map"))) {
      Stores.insert(c, "is the door open?", 0, 1);
      List<Map<String, Object>> rows =
          new QueryRunner()
              .query(c, "SELECT prompt, target, reason FROM edits", new MapListHandler());
      assertEquals("is the door open?", rows.get(0).get("prompt"));
      assertEquals("target of is the door open?", rows.get(0).get("target"));
    }
  }
}
