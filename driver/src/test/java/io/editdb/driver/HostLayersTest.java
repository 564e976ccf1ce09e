package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.model.FitExpertMaker;
import io.editdb.model.HostConfig;
import io.editdb.model.LocalHosts;
import io.editdb.model.Phrasing;
import io.editdb.model.QuestionType.Kind;
import io.editdb.model.Sample;
import io.editdb.model.SceneHost;
import io.editdb.model.SceneHosts;
import io.editdb.model.Scenes;
import io.editdb.model.Split;
import io.editdb.store.ExpertKind;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A layer bound to a real (untrained, small) host model through SQL: CREATE LAYER with HOST, INSERT
 * INTO edits with an image, ASK at versions, ROLLBACK EDIT; and every bad input refused with the
 * store unchanged.
 */
class HostLayersTest {
  private static final String HOST = "test-scenes";
  private static final Scenes SCENES = Scenes.standard();
  private static final String LAYER =
      "CREATE LAYER scenes (HOST '"
          + HOST
          + "', MODULE 'blocks.1', EXPERT_KIND LIVEEDIT,"
          + " VISUAL_THRESHOLD 0.85)";
  private static final String INSERT =
      "INSERT INTO edits (layer, prompt, target, image) VALUES (?, ?, ?, ?)";
  private static SceneHost host;

  @BeforeAll
  static void register() {
    host = SceneHosts.untrained(new HostConfig(32, 3, 2, 64, 12), 7);
    // An untrained host's logits span about one unit: a small margin, locality left to routing.
    LocalHosts.register(
        HOST,
        host,
        Scenes.IMAGE_SIZE,
        new FitExpertMaker.Options(4, ExpertKind.LIVEEDIT, 1f, 1f, 0.3f, 300, 0.05f, 0f, 1));
  }

  @AfterAll
  static void unregister() {
    LocalHosts.unregister(HOST);
    host.close();
  }

  static byte[] png(BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  private static Connection bound() throws SQLException {
    Connection c = TestDb.connect(TestDb.memUrl("host"));
    try (Statement st = c.createStatement()) {
      st.execute(LAYER);
    }
    return c;
  }

  /** base_answer, answer, probability, routed of ASK. */
  private static String[] ask(Connection c, byte[] png, String question, Long version)
      throws SQLException {
    String sql =
        version == null
            ? "SELECT * FROM ASK('scenes', ?, ?)"
            : "SELECT * FROM ASK('scenes', ?, ?, " + version + ")";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setBytes(1, png);
      ps.setString(2, question);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        String[] row = {
          rs.getString("BASE_ANSWER"),
          rs.getString("ANSWER"),
          rs.getString("PROBABILITY"),
          rs.getString("ROUTED")
        };
        assertTrue(!rs.next(), "one row");
        return row;
      }
    }
  }

  @Test
  void createLayerTakesTheWidthsFromTheHost() throws SQLException {
    try (Connection c = bound()) {
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT model, module, d_in, d_out, visual_dim,"
                      + " text_dim, host, maker FROM layers WHERE name = 'scenes'")) {
        assertTrue(rs.next());
        assertEquals(HOST, rs.getString(1));
        assertEquals("blocks.1", rs.getString(2));
        assertEquals(32, rs.getInt(3));
        assertEquals(32, rs.getInt(4));
        assertEquals(32, rs.getInt(5));
        assertEquals(32, rs.getInt(6), "the host's own question keys by default");
        assertEquals(HOST, rs.getString(7));
        assertEquals("FIT", rs.getString(8));
      }
      try (Statement st = c.createStatement()) {
        st.execute(
            "CREATE LAYER agreeing (HOST '"
                + HOST
                + "', MODULE 'blocks.2', MODEL 'mine',"
                + " D_IN 32, D_OUT 32, VISUAL_DIM 32, TEXT_DIM 384, MAKER fit, VISUAL_WEIGHT 30)");
      }
      assertEquals(
          30L,
          TestDb.scalar(
              c, "SELECT CAST(visual_weight AS BIGINT) FROM layers" + " WHERE name = 'agreeing'"),
          "VISUAL_WEIGHT is kept and shown in layers");
      assertEquals(
          0L,
          TestDb.scalar(
              c, "SELECT CAST(visual_weight AS BIGINT) FROM layers" + " WHERE name = 'scenes'"),
          "and is 0 when left out");
      String[] refused = {
        "CREATE LAYER x (HOST '" + HOST + "', MODULE 'blocks.1', D_IN 16)",
        "CREATE LAYER x (HOST '" + HOST + "', MODULE 'blocks.1', TEXT_DIM 512)",
        "CREATE LAYER x (HOST '" + HOST + "', MODULE 'blocks.1', VISUAL_WEIGHT -1)",
        "CREATE LAYER x (HOST '" + HOST + "', MODULE 'blocks.9')",
        "CREATE LAYER x (HOST '" + HOST + "', MODULE 'blocks.1', MAKER GENERATOR)",
        "CREATE LAYER x (MODEL 'm', MODULE 'l', D_IN 8, D_OUT 8, VISUAL_DIM 4, TEXT_DIM 3,"
            + " MAKER FIT)",
      };
      for (String sql : refused) {
        assertUnchanged(c, ErrorCode.INVALID_VALUE, () -> c.createStatement().execute(sql));
      }
      assertUnchanged(
          c,
          ErrorCode.NO_HOST,
          () ->
              c.createStatement()
                  .execute("CREATE LAYER x (HOST 'no-such-host', MODULE 'blocks.1')"));
      TestDb.assertError(
          ErrorCode.SYNTAX_ERROR,
          () -> c.createStatement().execute("CREATE LAYER x (HOST '" + HOST + "')"));
    }
  }

  @Test
  void anEditFromAnImageChangesTheAnswerUntilRolledBackAndAskSeesEveryVersion() throws Exception {
    Sample s = SCENES.sample(Split.TEST, 3, Kind.ENTITY, Phrasing.TRAIN, 0);
    byte[] image = png(s.image());
    try (Connection c = bound()) {
      String[] before = ask(c, image, s.question(), null);
      assertEquals(before[0], before[1]);
      assertEquals("", before[3]);
      String target =
          SCENES.answers().get((SCENES.answerId(before[0]) + 1) % SCENES.answers().size());
      long v0 = TestDb.scalar(c, "SELECT MAX(version) FROM versions");

      long id;
      try (PreparedStatement ps = c.prepareStatement(INSERT, Statement.RETURN_GENERATED_KEYS)) {
        ps.setString(1, "scenes");
        ps.setString(2, s.question());
        ps.setString(3, target);
        ps.setBytes(4, image);
        assertEquals(1, ps.executeUpdate());
        try (ResultSet keys = ps.getGeneratedKeys()) {
          assertTrue(keys.next());
          id = keys.getLong(1);
        }
      }
      assertEquals(
          "sha256:" + HostLayers.sha256(image),
          TestDb.scalarText(c, "SELECT image_ref FROM edits WHERE id = " + id));
      String[] after = ask(c, image, s.question(), null);
      assertEquals(before[0], after[0]);
      assertEquals(target, after[1]);
      assertEquals(Long.toString(id), after[3]);
      assertEquals(before[1], ask(c, image, s.question(), v0)[1], "at the earlier version");
      String[] redrawn = ask(c, png(SCENES.redraw(s, 1).image()), s.question(), null);
      assertEquals(target, redrawn[1], "another drawing of the same logo");
      Sample other = SCENES.sample(Split.TEST, 40, Kind.OBJECTS, Phrasing.TRAIN, 0);
      String[] unrelated = ask(c, png(other.image()), other.question(), null);
      assertEquals(unrelated[0], unrelated[1]);
      assertEquals("", unrelated[3]);

      try (Statement st = c.createStatement()) {
        st.execute("CREATE USER aud ROLE AUDITOR");
      }
      try (Connection auditor = DriverManager.getConnection(c.getMetaData().getURL(), "aud", "")) {
        assertEquals(target, ask(auditor, image, s.question(), null)[1], "auditors ASK too");
        assertEquals(before[1], ask(auditor, image, s.question(), v0)[1]);
      }
      try (Statement st = c.createStatement()) {
        st.execute("ROLLBACK EDIT " + id + " REASON 'test'");
      }
      String[] rolledBack = ask(c, image, s.question(), null);
      assertEquals(before[1], rolledBack[1]);
      assertEquals(before[2], rolledBack[2], "the base probability, bit for bit");
      assertEquals("", rolledBack[3]);
      assertEquals(target, ask(c, image, s.question(), v0 + 1)[1], "the edit's own version");
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("VERIFY HISTORY")) {
        assertTrue(rs.next());
        assertTrue(rs.getBoolean(1), rs.getString(4));
      }
    }
  }

  @Test
  void badImagesTargetsAndLayersAreRefusedAndChangeNothing() throws Exception {
    Sample s = SCENES.sample(Split.TEST, 5, Kind.ENTITY, Phrasing.TRAIN, 0);
    byte[] image = png(s.image());
    byte[] big = png(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB));
    byte[] notPng = "GIF89a not a png".getBytes(StandardCharsets.US_ASCII);
    byte[] truncated = java.util.Arrays.copyOf(image, 20);
    try (Connection c = bound()) {
      try (Statement st = c.createStatement()) {
        st.execute(TestDb.SMALL_LAYER);
      }
      String ok = SCENES.answers().get(0);
      assertInsertRefused(c, ErrorCode.INVALID_VALUE, "scenes", s.question(), ok, notPng);
      assertInsertRefused(c, ErrorCode.INVALID_VALUE, "scenes", s.question(), ok, truncated);
      assertInsertRefused(c, ErrorCode.INVALID_VALUE, "scenes", s.question(), ok, big);
      assertInsertRefused(c, ErrorCode.INVALID_VALUE, "scenes", s.question(), "zebra", image);
      assertInsertRefused(c, ErrorCode.INVALID_VALUE, "scenes", "how many zebras", ok, image);
      assertInsertRefused(c, ErrorCode.INVALID_VALUE, "scenes", s.question(), ok, null);
      assertInsertRefused(c, ErrorCode.NO_HOST, "small", s.question(), ok, image);
      assertUnchanged(
          c,
          ErrorCode.INVALID_VALUE,
          () ->
              c.createStatement()
                  .execute(
                      "INSERT INTO edits (layer, prompt, target, image, visual_key) VALUES ('scenes', '"
                          + s.question()
                          + "', '"
                          + ok
                          + "', X'00', ARRAY[1])"));
      assertUnchanged(
          c,
          ErrorCode.WRONG_TYPE,
          () -> {
            try (PreparedStatement ps = c.prepareStatement(INSERT)) {
              ps.setString(1, "scenes");
              ps.setString(2, s.question());
              ps.setString(3, ok);
              ps.setString(4, "a path, not bytes");
              ps.executeUpdate();
            }
          });
      assertUnchanged(c, ErrorCode.INVALID_VALUE, () -> ask(c, notPng, s.question(), null));
      assertUnchanged(c, ErrorCode.INVALID_VALUE, () -> ask(c, big, s.question(), null));
      assertUnchanged(c, ErrorCode.UNKNOWN_VERSION, () -> ask(c, image, s.question(), 99L));
      assertUnchanged(
          c,
          ErrorCode.NO_HOST,
          () -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM ASK('small', ?, 'q')")) {
              ps.setBytes(1, image);
              ps.executeQuery().close();
            }
          });
    }
  }

  @Test
  void explicitKeysAndWeightsStillWorkOnABoundLayerAndTextOnlyQuestionsAreLeftAlone()
      throws Exception {
    Sample s = SCENES.sample(Split.TEST, 11, Kind.ENTITY, Phrasing.TRAIN, 0);
    Sample text = SCENES.sample(Split.TEST, 12, Kind.TEXT, Phrasing.TRAIN, 0);
    try (Connection c = bound()) {
      float[] visual = host.visualKey(s.image());
      float[] a = new float[32];
      float[] b = new float[32];
      a[0] = 1f;
      b[1] = 1f;
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO edits (layer, prompt, target,"
                  + " visual_key, expert_a, expert_b, rank) VALUES ('scenes', ?, 'x', ?, ?, ?, 1)")) {
        ps.setString(1, s.question());
        ps.setObject(2, visual);
        ps.setObject(3, a);
        ps.setObject(4, b);
        assertEquals(1, ps.executeUpdate());
      }
      assertEquals(1L, TestDb.scalar(c, "SELECT COUNT(*) FROM edits WHERE image_ref IS NULL"));
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT text_key FROM edits")) {
        assertTrue(rs.next());
        assertArrayEquals(
            host.questionKeys(List.of(s.question()))[0],
            rs.getObject(1, float[].class),
            "text_key left out: the host keys the prompt");
      }
      // a host-keyed layer needs the prompt to key: NULL is refused as such, nothing written
      assertUnchanged(
          c,
          ErrorCode.INVALID_VALUE,
          () -> {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO edits (layer, prompt,"
                        + " target, visual_key, expert_a, expert_b, rank) VALUES ('scenes', NULL, 'x', ?, ?,"
                        + " ?, 1)")) {
              ps.setObject(1, visual);
              ps.setObject(2, a);
              ps.setObject(3, b);
              ps.executeUpdate();
            }
          });
      String[] routed = ask(c, png(s.image()), s.question(), null);
      assertNotEquals("", routed[3], "the hand-made expert is routed like any other");
      String[] none = ask(c, null, text.question(), null);
      assertEquals(none[0], none[1]);
      assertEquals(
          "",
          none[3],
          "a question without an image is searched with the host's"
              + " no-image key, which no picture's key is near");
    }
  }

  @Test
  void theShippedHostIsServedOnlyWithItsWeights() throws SQLException {
    boolean shipped = SceneHost.class.getResource(SceneHost.RESOURCE) != null;
    try (Connection c = TestDb.connect(TestDb.memUrl("shipped"))) {
      String sql = "CREATE LAYER shipped (HOST '" + LocalHosts.SHIPPED + "', MODULE 'blocks.0')";
      if (shipped) {
        c.createStatement().execute(sql);
        assertEquals(
            LocalHosts.SHIPPED,
            TestDb.scalarText(c, "SELECT host FROM layers WHERE name = 'shipped'"));
      } else {
        assertUnchanged(c, ErrorCode.NO_HOST, () -> c.createStatement().execute(sql));
      }
    }
  }

  @Test
  void imagesInsertInABatchAsOneVersionOrNotAtAll() throws Exception {
    Sample one = SCENES.sample(Split.TEST, 21, Kind.ENTITY, Phrasing.TRAIN, 0);
    Sample two = SCENES.sample(Split.TEST, 22, Kind.OBJECTS, Phrasing.TRAIN, 0);
    String target = SCENES.answers().get(1);
    try (Connection c = bound()) {
      String before = StoreFingerprint.of(c);
      try (PreparedStatement ps = c.prepareStatement(INSERT)) {
        batchRow(ps, one.question(), target, png(one.image()));
        batchRow(ps, two.question(), "zebra", png(two.image()));
        TestDb.assertError(ErrorCode.INVALID_VALUE, ps::executeBatch);
      }
      assertEquals(before, StoreFingerprint.of(c), "a refused row undoes the whole batch");
      long v = TestDb.scalar(c, "SELECT MAX(version) FROM versions");
      try (PreparedStatement ps = c.prepareStatement(INSERT, Statement.RETURN_GENERATED_KEYS)) {
        batchRow(ps, one.question(), target, png(one.image()));
        batchRow(ps, two.question(), target, png(two.image()));
        assertEquals(2, ps.executeBatch().length);
      }
      assertEquals(v + 1, TestDb.scalar(c, "SELECT MAX(version) FROM versions"));
      assertEquals(
          2L,
          TestDb.scalar(
              c,
              "SELECT COUNT(*) FROM edits WHERE image_ref LIKE"
                  + " 'sha256:%' AND created_version = "
                  + (v + 1)));
    }
  }

  private static void batchRow(PreparedStatement ps, String prompt, String target, byte[] image)
      throws SQLException {
    ps.setString(1, "scenes");
    ps.setString(2, prompt);
    ps.setString(3, target);
    ps.setBytes(4, image);
    ps.addBatch();
  }

  private static void assertInsertRefused(
      Connection c, ErrorCode code, String layer, String prompt, String target, byte[] image)
      throws SQLException {
    assertUnchanged(
        c,
        code,
        () -> {
          try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, layer);
            ps.setString(2, prompt);
            ps.setString(3, target);
            ps.setBytes(4, image);
            ps.executeUpdate();
          }
        });
  }

  static void assertUnchanged(Connection c, ErrorCode code, Executable run) throws SQLException {
    String before = StoreFingerprint.of(c);
    SQLException e = TestDb.assertError(code, run);
    assertNotEquals(null, e.getMessage());
    assertEquals(
        before, StoreFingerprint.of(c), () -> "a refused statement changed the store: " + e);
  }
}
