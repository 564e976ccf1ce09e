package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.editdb.pgtest.PgCluster;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver on a store whose truth is PostgreSQL: the same statements give the same answers as on
 * H2, EditDB's table functions included (the driver evaluates them), and the shapes PostgreSQL
 * cannot serve are refused with the reason.
 */
class PgDriverTest {
  private static final float R = (float) Math.sqrt(0.5);

  /** The queries both backends must answer alike, after the same writes. */
  private static final List<String> QUERIES =
      List.of(
          "SELECT version, actor, edits_added, edits_retired, edits_restored FROM versions"
              + " ORDER BY version",
          "SELECT id, layer, prompt, status, created_version, retired_version FROM edits"
              + " ORDER BY id",
          "SELECT edit_id, from_version, to_version FROM edit_spans ORDER BY edit_id, from_version",
          "SELECT seq, version, edit_id, action, actor, reason FROM edit_history ORDER BY seq",
          "SELECT id FROM EDITS_AT(3) ORDER BY id",
          "SELECT id, VECTOR_ARRAY(visual_key), VECTOR_ARRAY(expert_a) FROM edits ORDER BY id",
          "SELECT * FROM ROUTE('small', ARRAY[0.7071, 0.7071, 0, 0], ARRAY[0.6, 0.8, 0])",
          "SELECT edit_id, gate FROM ROUTE('small', ARRAY[0.7071, 0.7071, 0, 0], ARRAY[0.6, 0.8,"
              + " 0], 3) ORDER BY edit_id",
          "SELECT e.prompt, r.gate FROM ROUTE('small', (SELECT visual_key FROM edits WHERE id ="
              + " 1), (SELECT text_key FROM edits WHERE id = 1)) r JOIN edits e ON e.id ="
              + " r.edit_id WHERE r.gate > 0.01 ORDER BY r.gate DESC",
          "SELECT edit_id, passed_filter, kept, why FROM ROUTE_EXPLAIN('small', ARRAY[1, 0, 0,"
              + " 0], ARRAY[1, 0, 0]) ORDER BY edit_id",
          "SELECT COUNT(*) FROM ROUTE('small', ARRAY[0, 0, 0, 1], ARRAY[0, 0, 1])",
          "SELECT CARDINALITY(EMBED_TEXT('a cat on a mat'))",
          "SELECT id, visual_key, text_key, expert_b FROM edits ORDER BY id",
          "VERIFY HISTORY");

  @Test
  void theSameStatementsAnswerAsOnH2(@TempDir Path dir) throws Exception {
    List<List<String>> h2;
    try (Connection c = TestDb.connect(TestDb.memUrl("pg-twin"))) {
      h2 = script(c);
    }
    for (int q : new int[] {6, 7, 8, 9}) { // the routes have rows to compare
      assertTrue(!h2.get(q).isEmpty(), QUERIES.get(q));
    }
    try (Connection c = connectPg(dir, "ana", "")) {
      List<List<String>> pg = script(c);
      for (int i = 0; i < h2.size(); i++) {
        assertEquals(h2.get(i), pg.get(i), i < QUERIES.size() ? QUERIES.get(i) : "prepared");
      }
    }
  }

  @Test
  void rolesAndRefusalsHoldOnPostgres(@TempDir Path dir) throws Exception {
    String url = pgUrl(dir);
    try (Connection admin = DriverManager.getConnection(url, props("ana", ""))) {
      script(admin);
      try (Statement st = admin.createStatement()) {
        st.execute("CREATE USER eve PASSWORD 's3cret' ROLE AUDITOR");
      }
    }
    try (Connection eve = DriverManager.getConnection(url, props("eve", "s3cret"));
        Statement st = eve.createStatement()) {
      try (ResultSet rs =
          st.executeQuery(
              "SELECT COUNT(*) FROM ROUTE('small', ARRAY[1, 0, 0, 0], ARRAY[1, 0, 0])")) {
        rs.next();
        assertTrue(rs.getLong(1) > 0, "an auditor routes");
      }
      TestDb.assertError(
          ErrorCode.NOT_ALLOWED,
          () -> st.execute("INSERT INTO edits (layer, prompt, target) VALUES ('small', 'p', 't')"));
      SQLException users =
          assertThrows(SQLException.class, () -> st.executeQuery("SELECT * FROM users"));
      assertTrue(users.getMessage().toLowerCase(Locale.ROOT).contains("users"), users.getMessage());
      // a lateral call cannot be computed before the statement: refused with the reason
      SQLException lateral =
          assertThrows(
              SQLException.class,
              () ->
                  st.executeQuery(
                      "SELECT * FROM edits e, ROUTE('small', e.visual_key, e.text_key) r"));
      assertTrue(lateral.getMessage().contains("computed before"), lateral.getMessage());
      Connection ana = DriverManager.getConnection(url, props("ana", ""));
      TestDb.Snapshot before = TestDb.snapshot(ana);
      TestDb.assertError(
          ErrorCode.INVALID_VALUE,
          () -> st.executeQuery("SELECT * FROM ROUTE('small', ARRAY[1, 0, 0, 0])"));
      SQLException embed =
          assertThrows(
              SQLException.class, () -> st.executeQuery("SELECT EMBED_TEXT(prompt) FROM edits"));
      assertEquals(ErrorCode.UNSUPPORTED_STATEMENT.code(), embed.getErrorCode());
      assertTrue(
          embed.getMessage().contains("string literal or a ? parameter"), embed.getMessage());
      assertEquals(before, TestDb.snapshot(ana), "refusals change nothing");
      ana.close();
    }
  }

  @Test
  void anEditedModelAnswersOnPostgresAsOnH2(@TempDir Path dir) throws Exception {
    String host = "pg-scenes";
    io.editdb.model.SceneHost model =
        io.editdb.model.SceneHosts.untrained(new io.editdb.model.HostConfig(32, 3, 2, 64, 12), 7);
    io.editdb.model.LocalHosts.register(
        host,
        model,
        io.editdb.model.Scenes.IMAGE_SIZE,
        new io.editdb.model.FitExpertMaker.Options(
            4, io.editdb.store.ExpertKind.LIVEEDIT, 1f, 1f, 0.3f, 300, 0.05f, 0f, 1));
    try {
      io.editdb.model.Scenes scenes = io.editdb.model.Scenes.standard();
      io.editdb.model.Sample s =
          scenes.sample(
              io.editdb.model.Split.TEST,
              3,
              io.editdb.model.QuestionType.Kind.ENTITY,
              io.editdb.model.Phrasing.TRAIN,
              0);
      byte[] image = HostLayersTest.png(s.image());
      List<String> h2;
      try (Connection c = TestDb.connect(TestDb.memUrl("pg-host-twin"))) {
        h2 = edited(c, host, scenes, s.question(), image);
      }
      try (Connection c = connectPg(dir, "ana", "")) {
        assertEquals(h2, edited(c, host, scenes, s.question(), image));
      }
      assertTrue(
          !h2.get(1).startsWith(h2.get(0).split(" ")[0] + " "), "the edit changed it: " + h2);
    } finally {
      io.editdb.model.LocalHosts.unregister(host);
      model.close();
    }
  }

  /** ASK before, after an edit from the picture, at the earlier version, and ATTRIBUTION's size. */
  private static List<String> edited(
      Connection c, String host, io.editdb.model.Scenes scenes, String question, byte[] image)
      throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE LAYER scenes (HOST '"
              + host
              + "', MODULE 'blocks.1', EXPERT_KIND LIVEEDIT, VISUAL_THRESHOLD 0.85)");
    }
    List<String> out = new ArrayList<>();
    out.add(ask(c, image, question, null));
    String base = out.get(0).split(" ")[0];
    String target = scenes.answers().get((scenes.answerId(base) + 1) % scenes.answers().size());
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO edits (layer, prompt, target, image) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, "scenes");
      ps.setString(2, question);
      ps.setString(3, target);
      ps.setBytes(4, image);
      ps.executeUpdate();
    }
    out.add(ask(c, image, question, null));
    out.add(ask(c, image, question, 1L));
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT COUNT(*), SUM(CASE WHEN visual THEN 1 ELSE 0 END) FROM ATTRIBUTION('scenes',"
                + " ?, ?)")) {
      ps.setBytes(1, image);
      ps.setString(2, question);
      try (ResultSet rs = ps.executeQuery()) {
        out.add(rows(rs).toString());
      }
    }
    return out;
  }

  private static String ask(Connection c, byte[] image, String question, Long version)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT answer, routed, probability FROM ASK('scenes', ?, ?"
                + (version == null ? "" : ", " + version)
                + ")")) {
      ps.setBytes(1, image);
      ps.setString(2, question);
      try (ResultSet rs = ps.executeQuery()) {
        return String.join(" ", rows(rs));
      }
    }
  }

  private static List<List<String>> script(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(TestDb.SMALL_LAYER); // v1
    }
    TestDb.insert(c, "a", 0, 0); // v2
    TestDb.insert(c, "b", 1, 1); // v3
    TestDb.insert(c, "c", 2, 2); // v4
    try (Statement st = c.createStatement()) {
      st.execute("ROLLBACK EDIT 2 REASON 'wrong'"); // v5
      st.execute("RESTORE EDIT 2 REASON 'fine'"); // v6
      st.execute("ROLLBACK TO VERSION 3 REASON 'back'"); // v7
    }
    TestDb.insert(c, "d", 3, 2); // v8
    try (PreparedStatement ps = // a condition with a key bound as float[]: v9
        c.prepareStatement("ROLLBACK EDITS WHERE VECTOR_ARRAY(visual_key) = ? REASON 'by key'")) {
      ps.setObject(1, TestDb.basis(4, 3));
      assertEquals(1, ps.executeUpdate());
    }
    List<List<String>> out = new ArrayList<>();
    for (String q : QUERIES) {
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery(q)) {
        out.add(rows(rs));
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT edit_id, text_score FROM ROUTE(?, ?, ?, ?) WHERE gate > ? ORDER BY edit_id")) {
      ps.setString(1, "small");
      ps.setObject(2, new float[] {R, R, 0, 0});
      ps.setObject(3, new float[] {0.6f, 0.8f, 0});
      for (long v = 2; v <= 9; v++) {
        ps.setLong(4, v);
        ps.setDouble(5, 0.0);
        try (ResultSet rs = ps.executeQuery()) {
          out.add(rows(rs));
        }
      }
    }
    // a key bound as float[] to plain SQL, which the database itself runs
    try (PreparedStatement ps =
        c.prepareStatement("SELECT id FROM edits WHERE VECTOR_ARRAY(visual_key) = ? ORDER BY id")) {
      ps.setObject(1, TestDb.basis(4, 1));
      try (ResultSet rs = ps.executeQuery()) {
        out.add(rows(rs));
      }
    }
    return out;
  }

  /** Rows as text, numbers to 5 decimals and arrays as lists, so the backends' types compare. */
  private static List<String> rows(ResultSet rs) throws SQLException {
    List<String> out = new ArrayList<>();
    int n = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      StringBuilder b = new StringBuilder();
      for (int i = 1; i <= n; i++) {
        b.append(i > 1 ? " | " : "").append(text(rs.getObject(i)));
      }
      out.add(b.toString());
    }
    return out;
  }

  private static String text(Object v) throws SQLException {
    if (v instanceof Array a) {
      return text(a.getArray());
    }
    if (v instanceof float[] f) {
      List<String> l = new ArrayList<>();
      for (float x : f) {
        l.add(text(x));
      }
      return l.toString();
    }
    if (v instanceof Object[] o) {
      List<String> l = new ArrayList<>();
      for (Object x : o) {
        l.add(text(x));
      }
      return l.toString();
    }
    if (v instanceof Float || v instanceof Double || v instanceof java.math.BigDecimal) {
      return String.format(Locale.ROOT, "%.5f", ((Number) v).doubleValue());
    }
    if (v instanceof Number num) {
      return Long.toString(num.longValue());
    }
    return String.valueOf(v);
  }

  private static String pgUrl(Path dir) {
    assumeTrue(
        PgCluster.available(),
        "PostgreSQL is not installed, so the driver's PostgreSQL tests are skipped; install"
            + " Debian's postgresql to run them");
    PgCluster pg = PgCluster.shared();
    String db = pg.createDatabase("driver");
    return "jdbc:editdb:postgresql://"
        + pg.host()
        + ":"
        + pg.port()
        + "/"
        + db
        + "?index="
        + dir.resolve("index");
  }

  private static Properties props(String user, String password) {
    PgCluster pg = PgCluster.shared();
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    p.setProperty(EditDbDriver.PG_USER, pg.superuser());
    p.setProperty(EditDbDriver.PG_PASSWORD, pg.password());
    return p;
  }

  private static Connection connectPg(Path dir, String user, String password) throws SQLException {
    return DriverManager.getConnection(pgUrl(dir), props(user, password));
  }
}
