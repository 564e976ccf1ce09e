package io.editdb.driver;

import static io.editdb.driver.HostLayersTest.assertUnchanged;
import static io.editdb.driver.HostLayersTest.png;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.model.LocalHosts;
import io.editdb.model.Phrasing;
import io.editdb.model.QuestionType.Kind;
import io.editdb.model.Sample;
import io.editdb.model.Scenes;
import io.editdb.model.Split;
import io.editdb.store.EditStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * VisEdit through SQL: an edit made from an image acts only on a region (given, every visual token,
 * or chosen by attribution), the region is stored in {@code edits.token_mask}, {@code ASK} says
 * which tokens the applied edits touched, {@code ATTRIBUTION} shows where an answer rests, and
 * every bad mask is refused with the store unchanged.
 */
class TokenMaskSqlTest {
  private static final String HOST = LocalHosts.SHIPPED; // trained: regions matter
  private static final Scenes SCENES = Scenes.standard();
  private static final int SEQUENCE = 1 + 16 + 12;

  private static Connection bound() throws SQLException {
    Connection c = TestDb.connect(TestDb.memUrl("mask"));
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE LAYER vis (HOST '"
              + HOST
              + "', MODULE 'blocks.1', EXPERT_KIND LIVEEDIT,"
              + " VISUAL_THRESHOLD 0.85)");
      st.execute("CREATE LAYER last (HOST '" + HOST + "', MODULE 'blocks.2')");
    }
    return c;
  }

  /** Inserts an edit from the image with the given token_mask value; returns its id. */
  private static long insert(Connection c, String layer, Sample s, String target, Object mask)
      throws Exception {
    return insert(c, layer, s, target, "token_mask", mask);
  }

  /** Inserts an edit from the image with a value for {@code column}; returns its id. */
  private static long insert(
      Connection c, String layer, Sample s, String target, String column, Object value)
      throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO edits (layer, prompt, target,"
                + " image, "
                + column
                + ") VALUES (?, ?, ?, ?, ?)",
            Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, layer);
      ps.setString(2, s.question());
      ps.setString(3, target);
      ps.setBytes(4, png(s.image()));
      ps.setObject(5, value);
      assertEquals(1, ps.executeUpdate());
      try (ResultSet keys = ps.getGeneratedKeys()) {
        assertTrue(keys.next());
        return keys.getLong(1);
      }
    }
  }

  private static int[] storedMask(Connection c, long id) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT token_mask FROM edits WHERE id = " + id)) {
      assertTrue(rs.next());
      return Values.positions(rs.getArray(1), "token_mask"); // null for NULL
    }
  }

  /** The visual tokens of ATTRIBUTION at a module, largest integrated gradients first. */
  private static List<Integer> attributionOrder(Connection c, Sample s, String module)
      throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT token, ig, x, y, width, height FROM"
                + " ATTRIBUTION('vis', ?, ?) WHERE module = ? AND visual AND ig > 0 ORDER BY ig DESC")) {
      ps.setBytes(1, png(s.image()));
      ps.setString(2, s.question());
      ps.setString(3, module);
      List<Integer> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int t = rs.getInt(1);
          out.add(t);
          // token t reads cell t-1 of the 4x4 grid of 8x8 pixels
          assertArrayEquals(
              new int[] {(t - 1) % 4 * 8, (t - 1) / 4 * 8, 8, 8},
              new int[] {rs.getInt(3), rs.getInt(4), rs.getInt(5), rs.getInt(6)});
        }
      }
      return out;
    }
  }

  private static String[] ask(Connection c, Sample s) throws Exception {
    return ask(c, "vis", s);
  }

  /** answer, routed and touched of ASK on a layer. */
  private static String[] ask(Connection c, String layer, Sample s) throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT answer, routed, touched FROM" + " ASK('" + layer + "', ?, ?)")) {
      ps.setBytes(1, png(s.image()));
      ps.setString(2, s.question());
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        return new String[] {rs.getString(1), rs.getString(2), rs.getString(3)};
      }
    }
  }

  private static String joined(int[] v) {
    StringBuilder sb = new StringBuilder();
    for (int x : v) {
      sb.append(sb.isEmpty() ? "" : ",").append(x);
    }
    return sb.toString();
  }

  @Test
  void anAttributionRegionIsStoredAppliedAndReportedByAsk() throws Exception {
    Sample s = SCENES.sample(Split.TEST, 3, Kind.ENTITY, Phrasing.TRAIN, 0);
    try (Connection c = bound()) {
      String[] before = ask(c, s);
      assertEquals("", before[2], "nothing routed, nothing touched");
      String target =
          SCENES.answers().get((SCENES.answerId(before[0]) + 1) % SCENES.answers().size());
      List<Integer> order = attributionOrder(c, s, "blocks.1");
      assertTrue(order.size() >= 3, "visual tokens with positive attribution: " + order);

      long id = insert(c, "vis", s, target, "TOP 3");
      int[] mask = storedMask(c, id);
      assertArrayEquals(
          order.subList(0, 3).stream().mapToInt(Integer::intValue).sorted().toArray(),
          mask,
          "the mask is the top 3 tokens of ATTRIBUTION");
      assertArrayEquals(
          mask,
          c.unwrap(EditStore.class).weights(id).tokenMask(),
          "the applier is given the stored mask");
      String[] after = ask(c, s);
      assertEquals(target, after[0], "the masked expert was fitted under its mask");
      assertEquals(Long.toString(id), after[1]);
      assertEquals(joined(mask), after[2], "ASK reports the tokens the edit touched");

      try (Statement st = c.createStatement()) {
        st.execute("ROLLBACK EDIT " + id);
      }
      long visual = insert(c, "vis", s, target, "VISUAL");
      int[] all = new int[16];
      for (int t = 0; t < 16; t++) {
        all[t] = 1 + t;
      }
      assertArrayEquals(all, storedMask(c, visual));
      assertEquals(joined(all), ask(c, s)[2]);
      try (Statement st = c.createStatement()) {
        st.execute("ROLLBACK EDIT " + visual);
      }
      long given;
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO edits (layer, prompt, target,"
                  + " image, token_mask) VALUES ('vis', ?, ?, ?, ARRAY[6, 2, 7])",
              Statement.RETURN_GENERATED_KEYS)) {
        ps.setString(1, s.question());
        ps.setString(2, target);
        ps.setBytes(3, png(s.image()));
        ps.executeUpdate();
        try (ResultSet keys = ps.getGeneratedKeys()) {
          keys.next();
          given = keys.getLong(1);
        }
      }
      assertArrayEquals(new int[] {2, 6, 7}, storedMask(c, given), "stored ascending");
      long plain =
          insert(
              c, "vis", SCENES.sample(Split.TEST, 8, Kind.ENTITY, Phrasing.TRAIN, 0), target, null);
      assertNull(storedMask(c, plain), "no token_mask: every position");
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("VERIFY HISTORY")) {
        assertTrue(rs.next());
        assertTrue(rs.getBoolean(1), rs.getString(4));
      }
    }
  }

  @Test
  void aQueryRegionIsChosenAgainInEveryQueryTheEditIsRoutedTo() throws Exception {
    Sample s = SCENES.sample(Split.TEST, 3, Kind.ENTITY, Phrasing.TRAIN, 0);
    Sample redrawn = SCENES.redraw(s, 1);
    try (Connection c = bound()) {
      String before = ask(c, s)[0];
      String target = SCENES.answers().get((SCENES.answerId(before) + 1) % SCENES.answers().size());
      long id = insert(c, "vis", s, target, "query_region", "top 3");
      assertEquals(
          "TOP 3", TestDb.scalarText(c, "SELECT query_region FROM edits WHERE id = " + id));
      int[] fitted = storedMask(c, id);
      assertArrayEquals(
          attributionOrder(c, s, "blocks.1").subList(0, 3).stream()
              .mapToInt(Integer::intValue)
              .sorted()
              .toArray(),
          fitted,
          "fitted on the edit's region");
      String[] own = ask(c, s);
      assertEquals(target, own[0]);
      assertEquals(joined(fitted), own[2]);
      String[] other = ask(c, redrawn);
      assertEquals(Long.toString(id), other[1], "another drawing routes to the edit");
      int[] there =
          attributionOrder(c, redrawn, "blocks.1").subList(0, 3).stream()
              .mapToInt(Integer::intValue)
              .sorted()
              .toArray();
      assertEquals(joined(there), other[2], "the region is the redrawing's own top 3");

      assertUnchanged(
          c, ErrorCode.INVALID_VALUE, () -> insert(c, "vis", s, target, "query_region", "VISUAL"));
      assertUnchanged(
          c, ErrorCode.INVALID_VALUE, () -> insert(c, "vis", s, target, "query_region", "TOP 0"));
      assertUnchanged(
          c,
          ErrorCode.WRONG_TYPE,
          () -> insert(c, "vis", s, target, "query_region", new int[] {1, 2}));
      assertUnchanged(
          c,
          ErrorCode.INVALID_VALUE,
          () ->
              c.createStatement()
                  .execute(
                      "INSERT INTO edits (layer, prompt, target, image, token_mask, query_region) VALUES"
                          + " ('vis', 'q', '"
                          + target
                          + "', X'00', 'TOP 2', 'TOP 2')"));
    }
  }

  /**
   * The generator was trained for every position: under a region its expert is refined there until
   * it reaches the target. At blocks.2 the head reads position 0, so a region of position 0 can
   * carry an edit and the visual tokens cannot.
   */
  @Test
  void theGeneratorsExpertLearnsUnderTheRegionToo() throws Exception {
    Sample s = SCENES.sample(Split.TEST, 6, Kind.ENTITY, Phrasing.TRAIN, 0);
    try (Connection c = bound();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE LAYER gen (HOST '"
              + HOST
              + "', MODULE 'blocks.2', MAKER GENERATOR,"
              + " EXPERT_KIND LIVEEDIT, MAX_RANK 4)");
      String before = ask(c, "gen", s)[0];
      String target = SCENES.answers().get((SCENES.answerId(before) + 1) % SCENES.answers().size());
      long id = insert(c, "gen", s, target, new int[] {0});
      assertArrayEquals(new int[] {0}, storedMask(c, id));
      String[] after = ask(c, "gen", s);
      assertEquals(target, after[0]);
      assertEquals("0", after[2]);
      SQLException e =
          TestDb.assertError(
              ErrorCode.INVALID_VALUE,
              () ->
                  insert(
                      c,
                      "gen",
                      SCENES.sample(Split.TEST, 7, Kind.ENTITY, Phrasing.TRAIN, 0),
                      target,
                      "VISUAL"));
      assertTrue(e.getMessage().contains("on positions [1, 2"), e.getMessage());
    }
  }

  @Test
  void attributionCoversEveryModuleAndTokenAndFindsNothingVisualAfterTheLastBlock()
      throws Exception {
    Sample s = SCENES.sample(Split.TEST, 4, Kind.OBJECTS, Phrasing.TRAIN, 0);
    try (Connection c = bound();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT module, COUNT(*), SUM(CASE WHEN visual"
                    + " THEN 1 ELSE 0 END), MAX(CASE WHEN visual THEN ABS(ig) ELSE 0 END) FROM"
                    + " ATTRIBUTION('vis', ?, ?) GROUP BY module ORDER BY module")) {
      ps.setBytes(1, png(s.image()));
      ps.setString(2, s.question());
      try (ResultSet rs = ps.executeQuery()) {
        for (String module : List.of("blocks.0", "blocks.1", "blocks.2")) {
          assertTrue(rs.next());
          assertEquals(module, rs.getString(1));
          assertEquals(SEQUENCE, rs.getInt(2));
          assertEquals(16, rs.getInt(3));
          if (module.equals("blocks.2")) {
            assertEquals(0.0, rs.getDouble(4), "the head reads position 0 only");
          } else {
            assertTrue(rs.getDouble(4) > 0, module + " visual tokens carry attribution");
          }
        }
      }
    }
  }

  @Test
  void attributionRefusesWhatItCannotReadAndChangesNothing() throws Exception {
    Sample s = SCENES.sample(Split.TEST, 5, Kind.ENTITY, Phrasing.TRAIN, 0);
    try (Connection c = bound()) {
      try (Statement st = c.createStatement()) {
        st.execute(TestDb.SMALL_LAYER);
      }
      Object[][] bad = {
        {
          "vis",
          "GIF89a".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
          s.question(),
          null,
          ErrorCode.INVALID_VALUE
        },
        {"vis", png(s.image()), s.question(), "zebra", ErrorCode.INVALID_VALUE},
        {"vis", null, s.question(), null, ErrorCode.INVALID_VALUE},
        {"vis", png(s.image()), null, null, ErrorCode.INVALID_VALUE},
        {"small", png(s.image()), s.question(), null, ErrorCode.NO_HOST},
        {"nope", png(s.image()), s.question(), null, ErrorCode.UNKNOWN_LAYER}
      };
      for (Object[] b : bad) {
        assertUnchanged(
            c,
            (ErrorCode) b[4],
            () -> {
              try (PreparedStatement ps =
                  c.prepareStatement("SELECT * FROM ATTRIBUTION(?, ?, ?, ?)")) {
                ps.setString(1, (String) b[0]);
                ps.setBytes(2, (byte[]) b[1]);
                ps.setString(3, (String) b[2]);
                ps.setString(4, (String) b[3]);
                ps.executeQuery().close();
              }
            });
      }
    }
  }

  @Test
  void badMasksAreRefusedWithTheRuleAndChangeNothing() throws Exception {
    Sample s = SCENES.sample(Split.TEST, 5, Kind.ENTITY, Phrasing.TRAIN, 0);
    String target =
        SCENES.answers().get(0).equals(s.answer())
            ? SCENES.answers().get(1)
            : SCENES.answers().get(0);
    try (Connection c = bound()) {
      for (Object bad :
          new Object[] {
            "TOP 0",
            "MASS 1.5",
            "SOMEWHERE",
            new int[0],
            new int[] {SEQUENCE},
            new int[] {2, 2},
            new int[] {-1},
            new double[] {1.5}
          }) {
        assertUnchanged(c, ErrorCode.INVALID_VALUE, () -> insert(c, "vis", s, target, bad));
      }
      assertUnchanged(c, ErrorCode.INVALID_VALUE, () -> insert(c, "last", s, target, "TOP 2"));
      assertUnchanged(c, ErrorCode.WRONG_TYPE, () -> insert(c, "vis", s, target, 3.5));
      assertUnchanged(
          c,
          ErrorCode.INVALID_VALUE,
          () ->
              c.createStatement()
                  .execute(
                      "INSERT INTO edits (layer, prompt, target, image, token_mask) VALUES ('vis', 'q', '"
                          + target
                          + "', X'00', ARRAY[1.5])"));
      // An expert given explicitly cannot have its region chosen by attribution.
      try (Statement st = c.createStatement()) {
        st.execute(TestDb.SMALL_LAYER);
      }
      assertUnchanged(
          c,
          ErrorCode.INVALID_VALUE,
          () ->
              c.createStatement()
                  .execute(
                      "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a, expert_b,"
                          + " token_mask) VALUES ('small', 'q', 't', ARRAY[1,0,0,0], ARRAY[1,0,0],"
                          + " ARRAY[1,0,0,0,0,0,0,0], ARRAY[1,0,0,0,0,0,0,0], 'TOP 2')"));
      // ... but given positions are kept with it
      try (Statement st = c.createStatement()) {
        st.execute(
            "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a,"
                + " expert_b, token_mask) VALUES ('small', 'q', 't', ARRAY[1,0,0,0], ARRAY[1,0,0],"
                + " ARRAY[1,0,0,0,0,0,0,0], ARRAY[1,0,0,0,0,0,0,0], ARRAY[3, 0])");
      }
      long id = TestDb.scalar(c, "SELECT MAX(id) FROM edits");
      assertArrayEquals(new int[] {0, 3}, storedMask(c, id));
      assertArrayEquals(new int[] {0, 3}, c.unwrap(EditStore.class).weights(id).tokenMask());
    }
  }
}
