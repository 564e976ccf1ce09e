package io.editdb.driver;

import static io.editdb.driver.ErrorCode.CONNECTION_CLOSED;
import static io.editdb.driver.ErrorCode.DUPLICATE_LAYER;
import static io.editdb.driver.ErrorCode.DUPLICATE_USER;
import static io.editdb.driver.ErrorCode.FEATURE_NOT_SUPPORTED;
import static io.editdb.driver.ErrorCode.INVALID_AUTHORIZATION;
import static io.editdb.driver.ErrorCode.INVALID_URL;
import static io.editdb.driver.ErrorCode.INVALID_VALUE;
import static io.editdb.driver.ErrorCode.NOT_ALLOWED;
import static io.editdb.driver.ErrorCode.OBJECT_CLOSED;
import static io.editdb.driver.ErrorCode.SYNTAX_ERROR;
import static io.editdb.driver.ErrorCode.UNKNOWN_EDIT;
import static io.editdb.driver.ErrorCode.UNKNOWN_LAYER;
import static io.editdb.driver.ErrorCode.UNKNOWN_USER;
import static io.editdb.driver.ErrorCode.UNKNOWN_VERSION;
import static io.editdb.driver.ErrorCode.UNSUPPORTED_STATEMENT;
import static io.editdb.driver.ErrorCode.WRONG_STATE;
import static io.editdb.driver.ErrorCode.WRONG_TYPE;
import static io.editdb.driver.HostileCase.custom;
import static io.editdb.driver.HostileCase.insert;
import static io.editdb.driver.HostileCase.prepared;
import static io.editdb.driver.HostileCase.sql;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Bad references (unknown layers, edits and versions, edits in the wrong state, layers that exist),
 * bad layer definitions, and misuse of the JDBC objects themselves.
 */
final class HostileLookups {
  private HostileLookups() {}

  static Stream<HostileCase> cases() {
    return Stream.of(references(), layers(), jdbc(), users()).flatMap(List::stream);
  }

  /** User statements run by the administrator, and what other users may not do. */
  static List<HostileCase> users() {
    return List.of(
        sql("dropping an unknown user", UNKNOWN_USER, "DROP USER nobody"),
        sql("a role for an unknown user", UNKNOWN_USER, "ALTER USER nobody ROLE EDITOR"),
        sql("creating an existing user", DUPLICATE_USER, "CREATE USER audrey ROLE EDITOR"),
        sql("a role that does not exist", INVALID_VALUE, "CREATE USER eve ROLE OWNER"),
        sql("a user name with a newline", INVALID_VALUE, "CREATE USER 'e\nve' ROLE EDITOR"),
        sql("a user without a role", SYNTAX_ERROR, "CREATE USER eve PASSWORD 'x'"),
        sql("dropping the last administrator", WRONG_STATE, "DROP USER ana"),
        sql("demoting the last administrator", WRONG_STATE, "ALTER USER ana ROLE AUDITOR"),
        sql(
            "a user statement in a script",
            UNSUPPORTED_STATEMENT,
            "SELECT 1; CREATE USER eve ROLE ADMIN"),
        custom(
            "a wrong password",
            INVALID_AUTHORIZATION,
            (c, f) -> DriverManager.getConnection(f.url(), "audrey", "guess").close()),
        custom(
            "an unknown user",
            INVALID_AUTHORIZATION,
            (c, f) -> DriverManager.getConnection(f.url(), "mallory", "").close()),
        custom(
            "an auditor's rollback",
            NOT_ALLOWED,
            (c, f) -> {
              try (Connection a = DriverManager.getConnection(f.url(), "audrey", "audrey-pw")) {
                a.createStatement().execute("ROLLBACK EDIT " + f.active());
              }
            }),
        custom(
            "an auditor's insert with an injection in the prompt",
            NOT_ALLOWED,
            (c, f) -> {
              try (Connection a = DriverManager.getConnection(f.url(), "audrey", "audrey-pw");
                  PreparedStatement ps = a.prepareStatement(TestDb.INSERT)) {
                TestDb.bindSmall(ps, "'); DELETE FROM edits; --", 2, 2);
                ps.executeUpdate();
              }
            }),
        custom(
            "an auditor reading password hashes",
            NOT_ALLOWED,
            (c, f) -> {
              try (Connection a = DriverManager.getConnection(f.url(), "audrey", "audrey-pw")) {
                a.createStatement().executeQuery("SELECT password_hash FROM users").close();
              }
            }));
  }

  static List<HostileCase> references() {
    return List.of(
        insert("layer 'nope'", UNKNOWN_LAYER, 1, "nope"),
        insert("layer NULL", UNKNOWN_LAYER, 1, null),
        insert("layer 'small ' with a space", UNKNOWN_LAYER, 1, "small "),
        insert("layer with an injection", UNKNOWN_LAYER, 1, "small'; DROP TABLE edits; --"),
        insert("layer with a NUL", UNKNOWN_LAYER, 1, "small\u0000"),
        sql(
            "layer column left out",
            UNKNOWN_LAYER,
            "INSERT INTO edits (prompt, target, visual_key, text_key, expert_a, expert_b) VALUES"
                + " ('p', 't', ARRAY[1,0,0,0], ARRAY[1,0,0], "
                + HostileValues.blobs()
                + ")"),
        sql(UNKNOWN_LAYER, "SELECT * FROM ROUTE('nope', ARRAY[1, 0, 0, 0], ARRAY[1, 0, 0])"),
        sql(UNKNOWN_EDIT, "ROLLBACK EDIT 999999"),
        sql(UNKNOWN_EDIT, "ROLLBACK EDIT -1"),
        sql(UNKNOWN_EDIT, "ROLLBACK EDIT 0 REASON 'x'"),
        sql(UNKNOWN_EDIT, "RESTORE EDIT 999999"),
        sql(UNKNOWN_EDIT, "ROLLBACK EDIT -9223372036854775808"),
        prepared("ROLLBACK EDIT ? Long.MAX_VALUE", UNKNOWN_EDIT, "ROLLBACK EDIT ?", Long.MAX_VALUE),
        sql(UNKNOWN_VERSION, "ROLLBACK TO VERSION 999999"),
        sql(UNKNOWN_VERSION, "ROLLBACK TO VERSION -1 REASON 'x'"),
        sql(UNKNOWN_VERSION, "ROLLBACK TO VERSION 9223372036854775807"),
        prepared(
            "ROLLBACK TO VERSION ? Long.MIN_VALUE",
            UNKNOWN_VERSION,
            "ROLLBACK TO VERSION ?",
            Long.MIN_VALUE),
        sql(UNKNOWN_VERSION, "SELECT * FROM EDITS_AT(-1)"),
        sql(UNKNOWN_VERSION, "SELECT * FROM ROUTE('small', ARRAY[1,0,0,0], ARRAY[1,0,0], 99999)"),
        sql("rolling back a rolled-back edit", WRONG_STATE, f -> "ROLLBACK EDIT " + f.rolledBack()),
        sql(
            "restoring an active edit",
            WRONG_STATE,
            f -> "RESTORE EDIT " + f.active() + " REASON 'x'"),
        custom(
            "rolling back a rolled-back edit, prepared",
            WRONG_STATE,
            (c, f) -> {
              try (PreparedStatement ps = c.prepareStatement("ROLLBACK EDIT ? REASON ?")) {
                ps.setLong(1, f.rolledBack());
                ps.setString(2, "again");
                ps.execute();
              }
            }),
        custom(
            "rolling back the same edit twice in one transaction",
            WRONG_STATE,
            (c, f) -> {
              c.setAutoCommit(false);
              try (Statement st = c.createStatement()) {
                st.execute("ROLLBACK EDIT " + f.active());
                TestDb.Snapshot inside = TestDb.snapshot(c);
                try {
                  st.execute("ROLLBACK EDIT " + f.active());
                } finally {
                  if (!inside.equals(TestDb.snapshot(c))) {
                    throw new AssertionError("the refused second rollback changed the transaction");
                  }
                }
              } finally {
                c.rollback();
                c.setAutoCommit(true);
              }
            }));
  }

  private static final String HEAD = "CREATE LAYER z (MODEL 'm', MODULE 'x', ";
  private static final String REST = "VISUAL_DIM 0, TEXT_DIM 3";

  /** CREATE LAYER z with valid required options and {@code options} added. */
  private static HostileCase layer(ErrorCode code, String options) {
    return sql(
        "CREATE LAYER " + options, code, HEAD + "D_IN 1, D_OUT 1, " + REST + ", " + options + ")");
  }

  /** CREATE LAYER z with {@code required} as its D_IN ... TEXT_DIM options. */
  private static HostileCase shape(ErrorCode code, String required) {
    return sql("CREATE LAYER " + required, code, HEAD + required + ")");
  }

  /** CREATE LAYER with the name and MODEL given. */
  private static HostileCase named(ErrorCode code, String name, String model) {
    return sql(
        HostileCase.show("CREATE LAYER " + name + " (MODEL " + model + ")"),
        code,
        "CREATE LAYER "
            + name
            + " (MODEL "
            + model
            + ", MODULE 'x', D_IN 1, D_OUT 1, "
            + REST
            + ")");
  }

  static List<HostileCase> layers() {
    String small = TestDb.SMALL_LAYER;
    return List.of(
        sql("CREATE LAYER small again", DUPLICATE_LAYER, small),
        sql("CREATE LAYER SMALL", DUPLICATE_LAYER, small.replace("LAYER small", "LAYER SMALL")),
        sql(
            "CREATE LAYER \"small\"",
            DUPLICATE_LAYER,
            small.replace("LAYER small", "LAYER \"small\"")),
        sql("CREATE LAYER 'sMaLl'", DUPLICATE_LAYER, small.replace("LAYER small", "LAYER 'sMaLl'")),
        prepared(
            "CREATE LAYER ? 'small'",
            DUPLICATE_LAYER,
            small.replace("LAYER small", "LAYER ?"),
            "small"),
        shape(INVALID_VALUE, "D_IN 0, D_OUT 1, " + REST),
        shape(INVALID_VALUE, "D_IN -1, D_OUT 1, " + REST),
        shape(INVALID_VALUE, "D_IN 65537, D_OUT 1, " + REST),
        shape(INVALID_VALUE, "D_IN 2147483648, D_OUT 1, " + REST),
        shape(INVALID_VALUE, "D_IN 1.5, D_OUT 1, " + REST),
        shape(INVALID_VALUE, "D_IN 'abc', D_OUT 1, " + REST),
        shape(INVALID_VALUE, "D_IN NULL, D_OUT 1, " + REST),
        shape(INVALID_VALUE, "D_IN 1, D_OUT 1, VISUAL_DIM 4097, TEXT_DIM 3"),
        shape(INVALID_VALUE, "D_IN 1, D_OUT 1, VISUAL_DIM -1, TEXT_DIM 3"),
        shape(INVALID_VALUE, "D_IN 1, D_OUT 1, VISUAL_DIM 0, TEXT_DIM 0"),
        shape(INVALID_VALUE, "D_IN 1, D_OUT 65536000000, VISUAL_DIM 0, TEXT_DIM 3"),
        layer(INVALID_VALUE, "MAX_RANK 0"),
        layer(INVALID_VALUE, "MAX_RANK 1025"),
        layer(INVALID_VALUE, "MAX_CANDIDATES 0"),
        layer(INVALID_VALUE, "TOP_K -1"),
        layer(INVALID_VALUE, "TOP_K 1025"),
        layer(INVALID_VALUE, "VISUAL_SCALE 0"),
        prepared(
            "CREATE LAYER VISUAL_SCALE ? Infinity",
            INVALID_VALUE,
            HEAD + "D_IN 1, D_OUT 1, " + REST + ", VISUAL_SCALE ?)",
            Double.POSITIVE_INFINITY),
        layer(INVALID_VALUE, "TEXT_SCALE -1"),
        layer(INVALID_VALUE, "TEMPERATURE 0"),
        layer(INVALID_VALUE, "MIN_GATE 1"),
        layer(INVALID_VALUE, "MIN_GATE -0.1"),
        prepared(
            "CREATE LAYER NULL_LOGIT ? -Infinity",
            INVALID_VALUE,
            HEAD + "D_IN 1, D_OUT 1, " + REST + ", NULL_LOGIT ?)",
            Float.NEGATIVE_INFINITY),
        layer(INVALID_VALUE, "VISUAL_THRESHOLD 'NaN'"),
        layer(INVALID_VALUE, "GATE MAYBE"),
        layer(INVALID_VALUE, "EXPERT_KIND 'DORA'"),
        layer(INVALID_VALUE, "VISUAL_SIMILARITY L2"),
        layer(INVALID_VALUE, "TEXT_SIMILARITY NULL"),
        named(INVALID_VALUE, "'a b'", "'m'"),
        named(INVALID_VALUE, "l".repeat(129), "'m'"),
        named(INVALID_VALUE, "\"1st\"", "'m'"),
        named(INVALID_VALUE, "\"drop table edits; --\"", "'m'"),
        named(INVALID_VALUE, "z", "''"),
        named(INVALID_VALUE, "z", "'  '"),
        named(INVALID_VALUE, "z", "NULL"),
        named(INVALID_VALUE, "z", "'" + "m".repeat(513) + "'"),
        prepared(
            "CREATE LAYER ? NULL",
            INVALID_VALUE,
            "CREATE LAYER ? (MODEL 'm', MODULE 'x'," + " D_IN 1, D_OUT 1, " + REST + ")",
            (Object) null),
        prepared(
            "CREATE LAYER D_IN ? NaN",
            INVALID_VALUE,
            HEAD + "D_IN ?, D_OUT 1, " + REST + ")",
            Double.NaN),
        prepared(
            "CREATE LAYER VISUAL_THRESHOLD ? Infinity",
            INVALID_VALUE,
            HEAD + "D_IN 1, D_OUT 1, " + REST + ", VISUAL_THRESHOLD ?)",
            Double.POSITIVE_INFINITY),
        layer(WRONG_TYPE, "TOP_K TRUE"),
        layer(WRONG_TYPE, "TOP_K ARRAY[1]"),
        layer(WRONG_TYPE, "TOP_K X'01'"),
        layer(WRONG_TYPE, "GATE 5"),
        named(WRONG_TYPE, "z", "5"),
        prepared(
            "CREATE LAYER ? as a Long",
            WRONG_TYPE,
            "CREATE LAYER ? (MODEL 'm', MODULE 'x'," + " D_IN 1, D_OUT 1, " + REST + ")",
            5L));
  }

  static List<HostileCase> jdbc() {
    return List.of(
        custom("URL with a space", INVALID_URL, (c, f) -> connect("jdbc:editdb:mem:bad name")),
        custom("URL naming no store", INVALID_URL, (c, f) -> connect("jdbc:editdb:")),
        custom("URL of only spaces", INVALID_URL, (c, f) -> connect("jdbc:editdb:   ")),
        custom("URL with a NUL", INVALID_URL, (c, f) -> connect("jdbc:editdb:mem:a\u0000b")),
        custom(
            "poolSize 'abc'",
            INVALID_VALUE,
            (c, f) -> {
              Properties p = new Properties();
              p.setProperty(EditDbDriver.POOL_SIZE, "abc");
              DriverManager.getConnection(f.url(), p).close();
            }),
        custom(
            "a closed connection",
            CONNECTION_CLOSED,
            (c, f) -> {
              Connection other = TestDb.connect(f.url());
              other.close();
              other.createStatement().execute("ROLLBACK EDIT " + f.active());
            }),
        custom(
            "a closed statement",
            OBJECT_CLOSED,
            (c, f) -> {
              Statement st = c.createStatement();
              st.close();
              st.execute("ROLLBACK EDIT " + f.active());
            }),
        custom(
            "a closed prepared statement",
            OBJECT_CLOSED,
            (c, f) -> {
              PreparedStatement ps = c.prepareStatement("ROLLBACK EDIT ?");
              ps.setLong(1, f.active());
              ps.close();
              ps.execute();
            }),
        custom(
            "a closed result set",
            OBJECT_CLOSED,
            (c, f) -> {
              try (Statement st = c.createStatement()) {
                ResultSet rs = st.executeQuery("VERIFY HISTORY");
                rs.close();
                st.close();
                st.getResultSet();
              }
            }),
        custom("prepareCall", FEATURE_NOT_SUPPORTED, (c, f) -> c.prepareCall("CALL 1")),
        custom(
            "setURL on an EditDB statement",
            FEATURE_NOT_SUPPORTED,
            (c, f) -> {
              try (PreparedStatement ps = c.prepareStatement("ROLLBACK EDIT ? REASON ?")) {
                ps.setURL(2, URI.create("http://x").toURL());
              }
            }),
        custom(
            "setRowId",
            FEATURE_NOT_SUPPORTED,
            (c, f) -> {
              try (PreparedStatement ps = c.prepareStatement("ROLLBACK EDIT ?")) {
                ps.setRowId(1, null);
              }
            }));
  }

  private static void connect(String url) throws Exception {
    DriverManager.getConnection(url).close();
  }
}
