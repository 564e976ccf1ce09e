package io.editdb.driver;

import static io.editdb.driver.TestDb.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.editdb.driver.SecurityAttacks.Attack;
import io.editdb.driver.SecurityAttacks.Ctx;
import io.editdb.store.EditStore;
import io.editdb.store.Role;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Blob;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13's acceptance: every attack of the issue and of {@link SecurityAttacks}, as AUDITOR,
 * EDITOR and (where it applies) ADMIN, through plain JDBC, with EditDB's word filter on (the
 * default) and off ({@code sqlGuard=false}). Each must be refused with 42501 or a documented other
 * state (see SecurityAttacks), leak nothing (no file content, password hash or, to a
 * non-administrator, database path in any answer or error), and leave everything as it was: a
 * byte-level fingerprint of every table of the store's H2 database (read as the store's internal
 * administrator, so users.password_hash and user_history count), of H2's users, rights, schemas,
 * views, synonyms, routines, triggers, sequences and settings, the names of the files in the store
 * directory (and the H2 header of its database file) and of a folder outside it that the attacks
 * name, and the other sessions still alive. No serialized object may be deserialised in this JVM.
 *
 * <p>One store in a directory serves the matrix: a refused attack changes nothing, so each starts
 * from the same state. The rest (row locks, VERIFY HISTORY, directory URLs) use stores of their
 * own.
 */
class SecurityTest {
  @TempDir static Path root;

  private static Path storeDir;
  private static Path outside;
  private static String url;
  private static Ctx ctx;
  private static Connection ana; // ADMIN: keeps the store open
  private static Connection owner; // the store's internal H2 administrator (fingerprints)
  private static Connection victim; // another user's session, which no attack may end
  private static Print last;

  private static final Map<Role, String[]> LOGIN =
      Map.of(
          Role.ADMIN, new String[] {"ana", "ana-pw"},
          Role.EDITOR, new String[] {"ed", "ed-pw"},
          Role.AUDITOR, new String[] {"audrey", "audrey-pw"});

  @BeforeAll
  static void store() throws Exception {
    storeDir = root.resolve("store");
    outside = Files.createDirectories(root.resolve("outside"));
    Path secret = outside.resolve("secret.txt");
    String secretText = "EDITDB-SECRET-" + UUID.randomUUID();
    Files.writeString(secret, secretText);
    // what LINK_SCHEMA's INIT=RUNSCRIPT and RUNSCRIPT would run: writes files if it ever runs
    Files.writeString(
        outside.resolve("init.sql"),
        "CREATE TABLE pwned_init (x INT);\nSCRIPT TO '"
            + outside.resolve("pwned-init.sql")
            + "';\n");
    url = "jdbc:editdb:" + storeDir;
    ana = DriverManager.getConnection(url, "ana", "ana-pw");
    long active;
    long rolledBack;
    try (Statement st = ana.createStatement()) {
      st.execute(TestDb.SMALL_LAYER);
      st.execute("CREATE USER ed PASSWORD 'ed-pw' ROLE EDITOR");
      st.execute("CREATE USER audrey PASSWORD 'audrey-pw' ROLE AUDITOR");
      st.execute("CREATE TABLE APP.notes (id INT PRIMARY KEY, note VARCHAR(100))");
      active = TestDb.insert(ana, "active", 0, 0);
      rolledBack = TestDb.insert(ana, "rolled back", 1, 1);
      st.execute("ROLLBACK EDIT " + rolledBack + " REASON 'fixture'");
    }
    victim = connect(Role.EDITOR, true);
    try (Statement st = victim.createStatement()) {
      st.execute("INSERT INTO notes VALUES (1, 'an editor''s note')");
    }
    owner = ana.unwrap(EditStore.class).readConnection();
    try (Statement st = ana.createStatement();
        ResultSet rs = st.executeQuery("VERIFY HISTORY")) {
      assertTrue(rs.next() && rs.getBoolean("ok"), "the fixture verifies");
    }
    ctx = new Ctx(storeDir, outside, secret, secretText, active, rolledBack);
    last = print();
    assertTrue(last.db().get("table PUBLIC.USERS").startsWith("3 rows"), last.db()::toString);
    assertEquals("3:H:2", last.db().get("editdb.mv.db header"));
  }

  @AfterAll
  static void close() throws SQLException {
    for (Connection c : new Connection[] {owner, victim, ana}) {
      if (c != null) {
        c.close();
      }
    }
  }

  static Connection connect(Role role, boolean guard) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", LOGIN.get(role)[0]);
    p.setProperty("password", LOGIN.get(role)[1]);
    if (!guard) {
      p.setProperty(EditDbDriver.SQL_GUARD, "false");
    }
    return DriverManager.getConnection(url, p);
  }

  // ---- the matrix ----

  static Stream<Arguments> matrix() {
    List<Arguments> out = new ArrayList<>();
    for (Attack a : SecurityAttacks.all().toList()) {
      for (Via via : a.sqls() == null ? List.of(Via.API) : List.of(Via.STATEMENT, Via.PREPARED)) {
        for (boolean guard : new boolean[] {true, false}) {
          for (Role role : new Role[] {Role.AUDITOR, Role.EDITOR, Role.ADMIN}) {
            if (a.roles().contains(role)) {
              out.add(Arguments.of(a, role, guard, via));
            }
          }
        }
      }
    }
    return out.stream();
  }

  /** How the attack reaches the driver. */
  enum Via {
    /** Statement.execute of the SQL text. */
    STATEMENT,
    /** prepareStatement of the same text, then execute. */
    PREPARED,
    /** The attack's own JDBC calls (unwrap, batches, getObject, ...). */
    API
  }

  @ParameterizedTest(name = "[{index}] {0} | {1} | guard={2} | {3}")
  @MethodSource("matrix")
  void isRefusedLeaksNothingAndChangesNothing(Attack a, Role role, boolean guard, Via via)
      throws Exception {
    String text = ctx.fill(a.text());
    String outcome;
    SQLException refusal = null;
    List<String> problems = new ArrayList<>();
    try (Connection c = connect(role, guard)) {
      try {
        outcome = (via == Via.PREPARED ? a.prepared() : a.action()).run(c, ctx);
      } catch (SQLException e) {
        refusal = e;
        outcome = null;
      } catch (AssertionError e) {
        problems.add(e.getMessage());
        outcome = null;
      }
      if (!c.getAutoCommit()) {
        c.rollback();
      }
    }
    Print after = print();
    Print before = last;
    last = after;
    if (refusal != null) {
      String state = state(refusal);
      if (!a.states().contains(state)) {
        problems.add(
            "refused with SQLState "
                + state
                + " (accepted: "
                + a.states()
                + "): "
                + chain(refusal));
      }
      leaks(role, guard, text, chain(refusal)).forEach(l -> problems.add("its error leaks " + l));
    } else if (problems.isEmpty()) {
      if (a.mustRefuse()) {
        problems.add("NOT REFUSED; it answered: " + HostileCase.show(String.valueOf(outcome)));
      }
      leaks(role, guard, text, outcome).forEach(l -> problems.add("its answer leaks " + l));
    }
    if (!before.equals(after)) {
      problems.add("it changed the store: " + before.diff(after));
    }
    if (SecurityAttacks.GADGETS_DESERIALIZED.get() != 0) {
      problems.add("a serialized gadget was deserialised in this JVM");
      SecurityAttacks.GADGETS_DESERIALIZED.set(0);
    }
    if (!victim.isValid(2)) {
      problems.add("another user's session was ended");
      victim = connect(Role.EDITOR, true);
    }
    if (!problems.isEmpty()) {
      fail(
          a
              + " as "
              + role
              + " with sqlGuard="
              + guard
              + " via "
              + via
              + "\n  attack: "
              + text
              + "\n  "
              + String.join("\n  ", problems));
    }
  }

  /** The SQLState that counts: a batch's own, else that of the failure inside it. */
  private static String state(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null) {
        return s.getSQLState();
      }
    }
    SQLException next = e.getNextException();
    return next == null ? null : state(next);
  }

  /** Every message of an exception, its causes and its next exceptions. */
  private static String chain(SQLException e) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = e; t != null && b.length() < 20_000; t = t.getCause()) {
      b.append(t.getClass().getSimpleName())
          .append('[')
          .append(t instanceof SQLException s ? s.getSQLState() + "/" + s.getErrorCode() : "")
          .append("] ")
          .append(t.getMessage())
          .append(" <- ");
    }
    SQLException next = e.getNextException();
    if (next != null && next != e) {
      b.append(" next: ").append(chain(next));
    }
    return b.toString();
  }

  /** Secrets found in {@code answer} that the attack's own text did not already hold. */
  private static List<String> leaks(Role role, boolean guard, String attackText, String answer) {
    List<String> found = new ArrayList<>();
    if (answer == null) {
      return found;
    }
    Map<String, String> secrets = new TreeMap<>();
    secrets.put("the secret file's content", ctx.secretText());
    secrets.put(
        "the secret file's content (hex)",
        HexFormat.of().formatHex(ctx.secretText().getBytes(StandardCharsets.UTF_8)));
    secrets.put("a password hash", "pbkdf2-sha256$");
    // Left open by H2 (README, threat model): DATABASE_PATH() answers any user; only the word
    // filter refuses it. With the filter off, a statement that names it may show the path.
    boolean pathByH2 = !guard && attackText.toUpperCase(Locale.ROOT).contains("DATABASE_PATH");
    if (role != Role.ADMIN && !pathByH2) {
      secrets.put("the database path", storeDir.toString());
    }
    String upper = answer.toUpperCase(Locale.ROOT);
    secrets.forEach(
        (what, s) -> {
          if (!attackText.contains(s)
              && (answer.contains(s) || upper.contains(s.toUpperCase(Locale.ROOT)))) {
            found.add(what + " (" + s + ")");
          }
        });
    return found;
  }

  // ---- fingerprints ----

  /** Everything a refused attack must leave as it was. */
  record Print(Map<String, String> db, List<String> storeFiles, List<String> outsideFiles) {
    String diff(Print o) {
      List<String> d = new ArrayList<>();
      for (String k : db.keySet()) {
        if (!db.get(k).equals(o.db.get(k))) {
          d.add(k + (o.db.containsKey(k) ? " changed" : " is gone"));
        }
      }
      for (String k : o.db.keySet()) {
        if (!db.containsKey(k)) {
          d.add(k + " is new");
        }
      }
      if (!storeFiles.equals(o.storeFiles)) {
        d.add("store files " + storeFiles + " -> " + o.storeFiles);
      }
      if (!outsideFiles.equals(o.outsideFiles)) {
        d.add("files outside the store " + outsideFiles + " -> " + o.outsideFiles);
      }
      return String.join("; ", d);
    }
  }

  /** H2's own objects that decide who may do what, read as the store's internal administrator. */
  private static final List<String> H2_OBJECTS =
      List.of(
          "SELECT * FROM INFORMATION_SCHEMA.USERS",
          "SELECT * FROM INFORMATION_SCHEMA.ROLES",
          "SELECT * FROM INFORMATION_SCHEMA.RIGHTS",
          "SELECT * FROM INFORMATION_SCHEMA.SCHEMATA",
          "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM INFORMATION_SCHEMA.TABLES"
              + " WHERE TABLE_SCHEMA <> 'INFORMATION_SCHEMA'",
          "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_DEFAULT"
              + " FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA <> 'INFORMATION_SCHEMA'",
          "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM INFORMATION_SCHEMA.VIEWS",
          "SELECT * FROM INFORMATION_SCHEMA.SYNONYMS",
          "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM INFORMATION_SCHEMA.ROUTINES",
          "SELECT TRIGGER_SCHEMA, TRIGGER_NAME FROM INFORMATION_SCHEMA.TRIGGERS",
          "SELECT * FROM INFORMATION_SCHEMA.CONSTANTS",
          "SELECT * FROM INFORMATION_SCHEMA.SEQUENCES",
          "SELECT * FROM INFORMATION_SCHEMA.DOMAINS",
          "SELECT SETTING_NAME, SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
              + " WHERE SETTING_NAME NOT LIKE 'info.%'");

  static Print print() throws SQLException, IOException {
    Map<String, String> db = new TreeMap<>();
    db.put("latest version", Long.toString(ana.unwrap(EditStore.class).latestVersion()));
    db.put("StoreFingerprint (as ana)", StoreFingerprint.of(ana));
    List<String[]> tables = new ArrayList<>();
    try (Statement st = owner.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE"
                    + " = 'BASE TABLE' AND TABLE_SCHEMA <> 'INFORMATION_SCHEMA'")) {
      while (rs.next()) {
        tables.add(new String[] {rs.getString(1), rs.getString(2)});
      }
    }
    for (String[] t : tables) {
      db.put("table " + t[0] + "." + t[1], rows("SELECT * FROM \"" + t[0] + "\".\"" + t[1] + "\""));
    }
    for (String q : H2_OBJECTS) {
      db.put(q.substring(q.indexOf("INFORMATION_SCHEMA.")).split(" ")[0], rows(q));
    }
    // a file overwritten in place keeps its name: the store file must still start as H2's does
    byte[] head = new byte[3];
    try (var in = Files.newInputStream(storeDir.resolve("editdb.mv.db"))) {
      db.put(
          "editdb.mv.db header",
          in.readNBytes(head, 0, 3) + ":" + new String(head, StandardCharsets.ISO_8859_1));
    }
    return new Print(db, files(storeDir, true), files(outside, false));
  }

  /** The rows of a query, each value byte for byte, in a fixed order; hashed. */
  private static String rows(String sql) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Statement st = owner.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      int n = md.getColumnCount();
      while (rs.next()) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          String v;
          switch (md.getColumnType(i)) {
            case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.JAVA_OBJECT -> {
              byte[] bytes = rs.getBytes(i);
              v = bytes == null ? null : HexFormat.of().formatHex(bytes);
            }
            case Types.BLOB -> {
              Blob blob = rs.getBlob(i);
              v =
                  blob == null
                      ? null
                      : HexFormat.of().formatHex(blob.getBytes(1, (int) blob.length()));
            }
            default -> v = rs.getString(i);
          }
          b.append(v == null ? "\u0000NULL" : v.length() + ":" + v).append('|');
        }
        rows.add(b.toString());
      }
    }
    rows.sort(null);
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (String r : rows) {
      md.update(r.getBytes(StandardCharsets.UTF_8));
      md.update((byte) '\n');
    }
    return rows.size() + " rows " + HexFormat.of().formatHex(md.digest());
  }

  /**
   * The files under a folder, by relative name. H2's error trace ({@code editdb.trace.db}) is left
   * out here and checked by {@link #refusalsLeaveNoNewFileInTheStoreDirectory}.
   */
  private static List<String> files(Path dir, boolean skipTrace) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir))
          .map(p -> dir.relativize(p).toString())
          .filter(n -> !(skipTrace && n.equals("editdb.trace.db")))
          .sorted()
          .toList();
    }
  }

  // ---- row locks (denial of service) ----

  /**
   * Row locks on EditDB's relations from user SQL must not block the store's writers: with
   * auto-commit off, each role holds {@code SELECT ... FOR UPDATE} on every relation (or is refused
   * it), and another user's ROLLBACK EDIT, RESTORE EDIT and INSERT INTO edits still succeed within
   * seconds.
   */
  @ParameterizedTest(name = "{0}, guard={1}")
  @CsvSource({
    "AUDITOR, true",
    "AUDITOR, false",
    "EDITOR, true",
    "EDITOR, false",
    "ADMIN, true",
    "ADMIN, false"
  })
  void rowLocksFromUserSqlBlockNoWriter(Role role, boolean guard) throws Exception {
    String mem = TestDb.memUrl("sec-dos");
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Connection admin = DriverManager.getConnection(mem, "ana", "")) {
      try (Statement st = admin.createStatement()) {
        st.execute(TestDb.SMALL_LAYER);
        st.execute("CREATE USER ed ROLE EDITOR");
        st.execute("CREATE USER audrey ROLE AUDITOR");
        st.execute("CREATE USER ada ROLE ADMIN");
      }
      long id = TestDb.insert(admin, "target", 0, 0);
      String lockerName =
          Map.of(Role.AUDITOR, "audrey", Role.EDITOR, "ed", Role.ADMIN, "ada").get(role);
      Properties p = new Properties();
      p.setProperty("user", lockerName);
      p.setProperty("password", "");
      p.setProperty(EditDbDriver.SQL_GUARD, Boolean.toString(guard));
      // the writer is ana unless ana's role is the locker's: then ed
      String writerName = role == Role.ADMIN ? "ed" : "ana";
      try (Connection locker = DriverManager.getConnection(mem, p);
          Connection writer = DriverManager.getConnection(mem, writerName, "")) {
        locker.setAutoCommit(false);
        int locked = 0;
        for (String rel : List.of("edits", "edit_spans", "versions", "edit_history", "layers")) {
          try (Statement st = locker.createStatement();
              ResultSet rs = st.executeQuery("SELECT * FROM " + rel + " FOR UPDATE")) {
            while (rs.next()) {
              locked++;
            }
          } catch (SQLException e) {
            assertEquals("42501", e.getSQLState(), () -> "FOR UPDATE on " + rel + ": " + e);
          }
        }
        for (String sql :
            List.of("ROLLBACK EDIT " + id + " REASON 'while locked'", "RESTORE EDIT " + id)) {
          Future<Integer> f =
              pool.submit(
                  () -> {
                    try (Statement st = writer.createStatement()) {
                      return st.executeUpdate(sql);
                    }
                  });
          long start = System.nanoTime();
          try {
            assertEquals(1, f.get(5, TimeUnit.SECONDS), sql);
          } catch (TimeoutException e) {
            locker.rollback();
            fail(
                sql
                    + " by "
                    + writerName
                    + " was blocked for 5 s by "
                    + role
                    + "'s row locks ("
                    + locked
                    + " rows locked)");
          }
          long ms = (System.nanoTime() - start) / 1_000_000;
          assertTrue(ms < 3000, sql + " took " + ms + " ms under " + role + "'s row locks");
        }
        Future<Long> insert = pool.submit(() -> TestDb.insert(writer, "after lock", 1, 1));
        assertNotNull(insert.get(5, TimeUnit.SECONDS));
        assertEquals(
            1,
            scalar(
                admin, "SELECT COUNT(*) FROM edits WHERE id = " + id + " AND status = 'ACTIVE'"));
        locker.rollback();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The control of the test above: row locks on the base table, taken through the store's own
   * (trusted) H2 connection, do hold a writer up, so a user's lock that reached the base rows would
   * be seen there.
   */
  @Test
  void baseTableRowLocksDoBlockAWriter() throws Exception {
    String mem = TestDb.memUrl("sec-dos-control");
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Connection admin = DriverManager.getConnection(mem, "ana", "")) {
      admin.createStatement().execute(TestDb.SMALL_LAYER);
      long id = TestDb.insert(admin, "target", 0, 0);
      try (Connection raw = admin.unwrap(EditStore.class).readConnection();
          Connection writer = DriverManager.getConnection(mem, "ana", "")) {
        raw.setAutoCommit(false);
        try (Statement st = raw.createStatement();
            ResultSet rs = st.executeQuery("SELECT * FROM PUBLIC.edits FOR UPDATE")) {
          assertTrue(rs.next());
        }
        Future<Integer> f =
            pool.submit(
                () -> {
                  try (Statement st = writer.createStatement()) {
                    return st.executeUpdate("ROLLBACK EDIT " + id + " REASON 'control'");
                  }
                });
        boolean held;
        try {
          f.get(1, TimeUnit.SECONDS);
          held = false;
        } catch (TimeoutException e) {
          held = true;
        } catch (java.util.concurrent.ExecutionException e) {
          held = e.getCause() instanceof SQLException s && "HYT00".equals(s.getSQLState());
        }
        raw.rollback();
        raw.setAutoCommit(true);
        assertTrue(held, "a base-table row lock did not hold the writer up");
        try {
          f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          // the writer may have timed out waiting; it must not wait forever
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- VERIFY HISTORY against changes behind the store's back ----

  /**
   * Each change is made through the store's own H2 connection ({@code unwrap(EditStore.class)
   * .readConnection()}, as the administrator of the test), with no history row; VERIFY HISTORY must
   * then report ok = false with a problem naming what changed (or the first bad row of it).
   * History: version 1 CREATE LAYER; 2, 3, 4 insert edits 1, 2, 3; 5 rolls back edit 2.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "an edit's status and span changed | edit 1 | UPDATE edits SET status = 'ROLLED_BACK',"
            + " retired_version = 5, retired_at = CURRENT_TIMESTAMP WHERE id = 1; UPDATE edit_spans"
            + " SET to_version = 5 WHERE edit_id = 1 AND to_version IS NULL",
        "a rolled-back edit resurrected | edit 2 | UPDATE edits SET status = 'ACTIVE',"
            + " retired_version = NULL, retired_at = NULL WHERE id = 2; UPDATE edit_spans SET"
            + " to_version = NULL WHERE edit_id = 2",
        "versions.actor changed | version 2 | UPDATE versions SET actor = 'mallory' WHERE version ="
            + " 2",
        "a user's role changed | audrey | UPDATE users SET role = 'ADMIN' WHERE name = 'audrey'",
        "a user's password hash changed | audrey | UPDATE users SET password_hash ="
            + " 'pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='"
            + " WHERE name = 'audrey'",
        "a user inserted | mallory | INSERT INTO users (name, role, password_hash, created_at,"
            + " created_by) VALUES ('mallory', 'ADMIN', 'none', CURRENT_TIMESTAMP, 'ana')",
        "an edit's span moved | edit 3 | UPDATE edit_spans SET from_version = 3 WHERE edit_id = 3",
        "a version's counts changed | version 3 | UPDATE versions SET edits_added = 2 WHERE"
            + " version = 3",
      })
  void verifyHistoryCatchesChangesWithoutHistoryRows(String what, String names, String tamper)
      throws SQLException {
    String mem = TestDb.memUrl("sec-verify");
    try (Connection c = DriverManager.getConnection(mem, "ana", "")) {
      try (Statement st = c.createStatement()) {
        st.execute(TestDb.SMALL_LAYER);
        st.execute("CREATE USER audrey ROLE AUDITOR");
        st.execute("CREATE USER ed ROLE EDITOR");
      }
      for (int i = 0; i < 3; i++) {
        assertEquals(i + 1, TestDb.insert(c, "prompt " + i, i, i));
      }
      c.createStatement().execute("ROLLBACK EDIT 2 REASON 'wrong'");
      assertEquals(5, c.unwrap(EditStore.class).latestVersion());
      Verdict clean = verify(c);
      assertTrue(clean.ok(), "a clean store verifies: " + clean);
      try (Connection raw = c.unwrap(EditStore.class).readConnection();
          Statement st = raw.createStatement()) {
        for (String sql : tamper.split(";")) {
          assertTrue(st.executeUpdate(sql.trim()) > 0, "the tampering changed a row: " + sql);
        }
      }
      Verdict v = verify(c);
      assertFalse(v.ok(), what + ": VERIFY HISTORY still says ok: " + v);
      String problem = String.valueOf(v.problem());
      boolean named = problem.contains(names);
      if (!named && names.startsWith("edit ") && v.firstBadSeq() != null) {
        // the first bad row of that edit's history names it too
        long edit = Long.parseLong(names.substring(5));
        named =
            scalar(
                    c,
                    "SELECT COUNT(*) FROM edit_history WHERE seq = "
                        + v.firstBadSeq()
                        + " AND edit_id = "
                        + edit)
                == 1;
      }
      assertTrue(named, what + ": the problem does not name " + names + ": " + v);
    }
  }

  private record Verdict(boolean ok, Long firstBadSeq, String problem) {}

  private static Verdict verify(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("VERIFY HISTORY")) {
      assertTrue(rs.next());
      long seq = rs.getLong("first_bad_seq");
      Long firstBad = rs.wasNull() ? null : seq;
      return new Verdict(rs.getBoolean("ok"), firstBad, rs.getString("problem"));
    }
  }

  // ---- directory URLs ----

  /** A directory URL with ';' (or '\', or a control character) is refused with 22023. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "$OUT/x;INIT=CREATE TABLE pwn(id INT)--",
        "$OUT/x;INIT=RUNSCRIPT FROM '$OUT/init.sql'",
        "file:$OUT/y;INIT=RUNSCRIPT FROM '$OUT/init.sql'",
        "$OUT/z;FILE_LOCK=NO",
        "$OUT/w;ACCESS_MODE_DATA=r",
        "$OUT/v\\;INIT=RUNSCRIPT FROM '$OUT/init.sql'",
        "$OUT/u\nINIT=x",
        "mem:m;INIT=RUNSCRIPT FROM '$OUT/init.sql'",
      })
  void directoryUrlsWithH2SettingsAreRefused(String dir) throws IOException {
    List<String> before = files(outside, false);
    String bad = "jdbc:editdb:" + ctx.fill(dir);
    for (boolean guard : new boolean[] {true, false}) {
      Properties p = new Properties();
      p.setProperty("user", "mallory");
      p.setProperty("password", "");
      p.setProperty(EditDbDriver.SQL_GUARD, Boolean.toString(guard));
      SQLException e =
          assertThrows(
              SQLException.class,
              () -> {
                try (Connection c = DriverManager.getConnection(bad, p)) {
                  fail("connected to " + bad + " as " + c);
                }
              });
      assertEquals("22023", e.getSQLState(), () -> bad + ": " + e);
      assertEquals(ErrorCode.INVALID_URL.code(), e.getErrorCode(), () -> bad + ": " + e);
    }
    assertEquals(before, files(outside, false), "a refused URL created files outside the store");
    assertFalse(Files.exists(outside.resolve("pwned-init.sql")));
  }

  // ---- errors the issue asks for ----

  /**
   * Issue 13, "Errors": an unknown edit or version is an error (42704, never class 02 "no data"),
   * and a VISUAL_THRESHOLD or ROUTE threshold outside the cosine range is refused (22023).
   */
  @Test
  void unknownThingsAndOutOfRangeThresholdsAreErrors() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("sec-errors")) {
      long id = TestDb.insert(c, "one", 0, 0);
      TestDb.assertError(
          ErrorCode.UNKNOWN_EDIT,
          () -> c.createStatement().execute("ROLLBACK EDIT " + (id + 1000)));
      TestDb.assertError(
          ErrorCode.UNKNOWN_EDIT, () -> c.createStatement().execute("RESTORE EDIT " + (id + 1000)));
      TestDb.assertError(
          ErrorCode.UNKNOWN_VERSION, () -> c.createStatement().execute("ROLLBACK TO VERSION 999"));
      TestDb.assertError(
          ErrorCode.UNKNOWN_VERSION, () -> scalar(c, "SELECT COUNT(*) FROM EDITS_AT(999)"));
      for (String state :
          new String[] {
            ErrorCode.UNKNOWN_EDIT.sqlState(),
            ErrorCode.UNKNOWN_VERSION.sqlState(),
            ErrorCode.UNKNOWN_USER.sqlState()
          }) {
        assertFalse(state.startsWith("02"), state);
      }
      TestDb.assertError(
          ErrorCode.INVALID_VALUE,
          () ->
              c.createStatement()
                  .execute(
                      "CREATE LAYER wide (MODEL 'm', MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4,"
                          + " TEXT_DIM 3, VISUAL_THRESHOLD 1.5)"));
      TestDb.assertError(
          ErrorCode.INVALID_VALUE,
          () ->
              scalar(
                  c,
                  "SELECT COUNT(*) FROM ROUTE('small', ARRAY[1.0, 0, 0, 0], ARRAY[1.0, 0, 0], NULL,"
                      + " -2.0)"));
    }
  }

  // ---- the store directory and administrators' reach ----

  /**
   * Issue 13: "Administrators included, nobody changes ... another user's password through SQL". An
   * administrator's ALTER USER of someone else's password is refused and leaves the hash alone.
   */
  @ParameterizedTest(name = "guard={0}")
  @ValueSource(booleans = {true, false})
  void anAdministratorDoesNotSetAnotherUsersPassword(boolean guard) throws SQLException {
    String mem = TestDb.memUrl("sec-passwords");
    try (Connection first = DriverManager.getConnection(mem, "ana", "")) {
      first.createStatement().execute("CREATE USER ed PASSWORD 'ed-pw' ROLE EDITOR");
      String hash;
      try (Connection raw = first.unwrap(EditStore.class).readConnection()) {
        hash = TestDb.scalarText(raw, "SELECT password_hash FROM users WHERE name = 'ed'");
      }
      Properties p = new Properties();
      p.setProperty("user", "ana");
      p.setProperty("password", "");
      p.setProperty(EditDbDriver.SQL_GUARD, Boolean.toString(guard));
      try (Connection admin = DriverManager.getConnection(mem, p)) {
        SQLException e =
            assertThrows(
                SQLException.class,
                () -> admin.createStatement().execute("ALTER USER ed PASSWORD 'taken over'"),
                "an administrator set another user's password");
        assertEquals("42501", e.getSQLState(), e::toString);
      }
      try (Connection raw = first.unwrap(EditStore.class).readConnection()) {
        assertEquals(
            hash, TestDb.scalarText(raw, "SELECT password_hash FROM users WHERE name = 'ed'"));
      }
    }
  }

  /**
   * H2 writes every error to {@code editdb.trace.db} in the store directory (with the SQL text):
   * refusals must not add a file there.
   */
  @Test
  void refusalsLeaveNoNewFileInTheStoreDirectory() throws Exception {
    Path dir = root.resolve("trace-store");
    String u = "jdbc:editdb:" + dir;
    try (Connection admin = DriverManager.getConnection(u, "ana", "")) {
      admin.createStatement().execute("CREATE USER audrey ROLE AUDITOR");
      List<String> before = files(dir, false);
      Properties p = new Properties();
      p.setProperty("user", "audrey");
      p.setProperty("password", "");
      p.setProperty(EditDbDriver.SQL_GUARD, "false");
      try (Connection audrey = DriverManager.getConnection(u, p)) {
        SQLException e =
            assertThrows(
                SQLException.class,
                () -> audrey.createStatement().execute("SELECT FILE_READ('" + dir + "/x', NULL)"));
        assertEquals("42501", e.getSQLState());
      }
      assertEquals(before, files(dir, false), "a refused statement added files to the store");
    }
  }

  /**
   * An administrator's plain SQL cannot take the store away from everyone else: schema APP (where
   * every user connection starts) is the administrators' own, so they may drop it with their tables
   * (the word filter refuses DROP first), but users still log in afterwards: the store makes it
   * again, empty.
   */
  @ParameterizedTest(name = "guard={0}")
  @ValueSource(booleans = {true, false})
  void anAdministratorCannotDropTheSchemaEveryLoginNeeds(boolean guard) throws SQLException {
    String mem = TestDb.memUrl("sec-schema");
    try (Connection first = DriverManager.getConnection(mem, "ana", "")) {
      first.createStatement().execute("CREATE USER audrey ROLE AUDITOR");
      Properties p = new Properties();
      p.setProperty("user", "ana");
      p.setProperty("password", "");
      p.setProperty(EditDbDriver.SQL_GUARD, Boolean.toString(guard));
      try (Connection admin = DriverManager.getConnection(mem, p)) {
        admin.createStatement().execute("CREATE TABLE APP.notes (id INT)");
        if (guard) {
          SQLException e =
              assertThrows(
                  SQLException.class,
                  () -> admin.createStatement().execute("DROP SCHEMA APP CASCADE"));
          assertEquals("42501", e.getSQLState(), e::toString);
        } else {
          admin.createStatement().execute("DROP SCHEMA APP CASCADE");
        }
      }
      try (Connection audrey = DriverManager.getConnection(mem, "audrey", "")) {
        assertEquals(0, scalar(audrey, "SELECT COUNT(*) FROM edits"));
        assertEquals(
            guard ? 1 : 0,
            scalar(
                audrey,
                "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES"
                    + " WHERE TABLE_SCHEMA = 'APP' AND TABLE_NAME = 'NOTES'"));
      }
    }
  }
}
