package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.pgtest.PgCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store whose truth is PostgreSQL: the same answers as on H2, several nodes on one database, the
 * roles' grants, and the faults PostgreSQL adds (a killed backend, a restarted server).
 */
class PgStoreTest {
  private final long seed = Fixtures.seed();

  @Test
  void answersEqualH2sForTheSameWritesAtEveryVersion(@TempDir Path dir) {
    List<String> h2;
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      PgStores.workload(s, seed, 40);
      assertTrue(s.verifyHistory().ok());
      h2 = PgStores.answers(s, seed, 5);
    }
    try (EditStore s = EditStore.open(PgStores.fresh(dir.resolve("a")))) {
      PgStores.workload(s, seed, 40);
      assertTrue(s.verifyHistory().ok(), s.verifyHistory().toString());
      assertEquals(h2, PgStores.answers(s, seed, 5), "seed " + seed);
    }
  }

  @Test
  void twoNodesWriteInTurnAndEachRoutesWhatTheOtherCommitted(@TempDir Path dir) throws Exception {
    StoreConfig a = PgStores.fresh(dir.resolve("a"));
    try (EditStore na = EditStore.open(a);
        EditStore nb = EditStore.open(PgStores.node(a, dir.resolve("b")))) {
      na.createLayer(Fixtures.layer("l1").build(), "admin");
      awaitVersion(nb, 1);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<List<Long>>> futures = new ArrayList<>();
      for (EditStore node : List.of(na, nb)) {
        long s = new Random(seed).nextLong() ^ node.hashCode();
        futures.add(pool.submit(() -> PgStores.workload(node, s, 25)));
      }
      List<Long> all = new ArrayList<>();
      for (Future<List<Long>> f : futures) {
        all.addAll(f.get());
      }
      pool.shutdown();
      all.removeIf(v -> v == 0);
      all.sort(null);
      for (int i = 0; i < all.size(); i++) {
        assertEquals(i + 2, all.get(i), "versions dense across nodes; seed " + seed);
      }
      long latest = all.get(all.size() - 1);
      awaitVersion(na, latest);
      awaitVersion(nb, latest);
      assertEquals(PgStores.answers(na, seed, 4), PgStores.answers(nb, seed, 4));
      assertTrue(na.verifyHistory().ok());
      assertTrue(nb.verifyHistory().ok());
    }
  }

  @Test
  void usersChangedOnOneNodeTakeEffectOnTheOtherAtOnce(@TempDir Path dir) throws Exception {
    StoreConfig a = PgStores.fresh(dir.resolve("a"));
    try (EditStore na = EditStore.open(a);
        EditStore nb = EditStore.open(PgStores.node(a, dir.resolve("b")))) {
      assertEquals(Role.ADMIN, na.users().login("ana", "pw-ana"));
      na.users().create("ana", "eve", "pw-eve", Role.AUDITOR);
      assertEquals(Role.AUDITOR, nb.users().login("eve", "pw-eve"), "a login reads again");
      na.users().changeRole("ana", "eve", Role.EDITOR);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (nb.users().role("eve").orElseThrow() != Role.EDITOR) {
        assertTrue(System.nanoTime() < deadline, "node b never saw eve's new role");
        Thread.sleep(5);
      }
      na.users().drop("ana", "eve");
      deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (nb.users().role("eve").isPresent()) {
        assertTrue(System.nanoTime() < deadline, "node b never saw eve dropped");
        Thread.sleep(5);
      }
      assertThrows(StoreException.class, () -> nb.users().login("eve", "pw-eve"));
      assertTrue(nb.verifyHistory().ok());
    }
  }

  @Test
  void roleNamesStayApartForDatabasesWhoseNamesHadToChange() {
    assertEquals("editdb_edits_auditor", PgRoles.roleName("edits", Role.AUDITOR));
    String a = PgRoles.roleName("Edits", Role.ADMIN);
    String b = PgRoles.roleName("edits-", Role.ADMIN);
    String c = PgRoles.roleName("x".repeat(60), Role.EDITOR);
    String d = PgRoles.roleName("x".repeat(61), Role.EDITOR);
    for (String n : List.of(a, b, c, d)) {
      assertTrue(n.matches("[a-z0-9_]{1,63}"), n);
    }
    assertTrue(!a.equals(PgRoles.roleName("edits", Role.ADMIN)) && !a.equals(b) && !c.equals(d));
  }

  @Test
  void aNodeCatchesUpOnOpenAndRebuildsALostIndex(@TempDir Path dir) throws Exception {
    StoreConfig a = PgStores.fresh(dir.resolve("a"));
    StoreConfig b = PgStores.node(a, dir.resolve("b"));
    try (EditStore na = EditStore.open(a)) {
      PgStores.workload(na, seed, 10);
      try (EditStore nb = EditStore.open(b)) {
        assertEquals(na.latestVersion(), nb.latestVersion());
      }
      PgStores.workload(na, seed + 1, 15); // b is down meanwhile
      List<String> expected = PgStores.answers(na, seed, 4);
      try (EditStore nb = EditStore.open(b)) {
        assertEquals(na.latestVersion(), nb.latestVersion(), "caught up from its watermark");
        assertEquals(expected, PgStores.answers(nb, seed, 4));
      }
      try (var files = Files.walk(dir.resolve("b"))) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
      try (EditStore nb = EditStore.open(b)) {
        assertEquals(expected, PgStores.answers(nb, seed, 4), "rebuilt from the truth");
      }
    }
  }

  @Test
  void rolesReadTheViewsAndPostgresRefusesThemTheRest(@TempDir Path dir) throws Exception {
    try (EditStore s = EditStore.open(PgStores.fresh(dir))) {
      PgStores.workload(s, seed, 3);
      try (Connection admin = s.connectAs(Role.ADMIN);
          Statement st = admin.createStatement()) {
        st.execute("CREATE TABLE app.notes (id INT PRIMARY KEY, note TEXT)");
        assertEquals(s.latestVersion(), single(st, "SELECT MAX(version) FROM versions"));
        assertEquals(1, single(st, "SELECT COUNT(*) FROM users WHERE 1 = 0") + 1);
      }
      try (Connection editor = s.connectAs(Role.EDITOR);
          Statement st = editor.createStatement()) {
        st.execute("INSERT INTO notes VALUES (1, 'checked')");
        assertRefused(st, "UPDATE edits SET status = 'ACTIVE'");
        assertRefused(st, "CREATE TABLE app.mine (x INT)");
      }
      try (Connection auditor = s.connectAs(Role.AUDITOR);
          Statement st = auditor.createStatement()) {
        assertEquals(1, single(st, "SELECT COUNT(*) FROM notes"));
        assertEquals(
            single(st, "SELECT COUNT(*) FROM edits"),
            single(st, "SELECT COUNT(*) FROM edits_at((SELECT MAX(version) FROM versions))")
                + single(st, "SELECT COUNT(*) FROM edits WHERE status = 'ROLLED_BACK'"));
        assertRefused(st, "INSERT INTO notes VALUES (2, 'no')");
        assertRefused(st, "SELECT * FROM public.edits");
        assertRefused(st, "SELECT * FROM public.users");
        assertRefused(st, "SELECT * FROM users");
        assertRefused(st, "SELECT * FROM public.node_secret");
        assertRefused(st, "SELECT pg_read_file('/etc/passwd')");
        assertRefused(st, "COPY (SELECT 1) TO '/tmp/editdb-escape'");
        assertRefused(st, "CREATE FUNCTION app.f() RETURNS INT LANGUAGE sql AS 'SELECT 1'");
        assertRefused(st, "SET ROLE " + PgCluster.shared().superuser());
        // keys read as numbers, decoded in SQL exactly as the store decodes them
        try (ResultSet rs =
            st.executeQuery("SELECT id, vector_array(visual_key) FROM edits ORDER BY id LIMIT 1")) {
          rs.next();
          Object[] got = (Object[]) rs.getArray(2).getArray();
          float[] want = s.edit(rs.getLong(1)).visualKey();
          assertEquals(want.length, got.length);
          for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], ((Number) got[i]).floatValue(), 0f);
          }
        }
      }
      try (Connection admin = s.connectAs(Role.ADMIN);
          Statement st = admin.createStatement()) {
        st.execute("DROP SCHEMA app CASCADE"); // the administrators' own: allowed
      }
      try (Connection admin = s.connectAs(Role.ADMIN);
          Statement st = admin.createStatement()) {
        st.execute("CREATE TABLE app.again (x INT)"); // the next login has it back
      }
      try (Connection editor = s.connectAs(Role.EDITOR);
          Statement st = editor.createStatement()) {
        st.execute("INSERT INTO again VALUES (1)"); // with its grants
      }
    }
  }

  @Test
  void psqlAsAToolLoginWithTheAuditorRoleReadsWhatTheStoreReads(@TempDir Path dir)
      throws Exception {
    Path psql = Path.of("/usr/bin/psql");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isExecutable(psql), "psql is not installed (Debian's postgresql-client)");
    try (EditStore s = EditStore.open(PgStores.fresh(dir))) {
      PgStores.workload(s, seed, 8);
      PgCluster pg = PgCluster.shared();
      String auditor = s.databaseRole(Role.AUDITOR);
      assertTrue(auditor.startsWith("editdb_") && auditor.endsWith("_auditor"), auditor);
      try (Connection su = PgCluster.shared().connect();
          Statement st = su.createStatement()) {
        st.execute("DROP ROLE IF EXISTS alice_tool");
        st.execute("CREATE ROLE alice_tool LOGIN PASSWORD 'alice-pw' IN ROLE " + auditor);
      }
      String db = s.config().postgres().url().replaceAll(".*/", "");
      long v = s.latestVersion() - 1;
      String out =
          psql(
              psql,
              pg,
              db,
              "SELECT (SELECT MAX(version) FROM editdb.versions) || ' '"
                  + " || (SELECT COUNT(*) FROM editdb.edits_at("
                  + v
                  + ")) || ' ' || (SELECT array_length(editdb.vector_array(visual_key), 1) FROM"
                  + " editdb.edits ORDER BY id LIMIT 1)");
      assertEquals(
          s.latestVersion() + " " + s.activeEditIds("l1", v).size() + " " + Fixtures.VIS,
          out.trim());
      assertTrue(
          psql(psql, pg, db, "SELECT COUNT(*) FROM public.edits").contains("permission denied"),
          "the tool login reads the views only");
    }
  }

  private static String psql(Path psql, PgCluster pg, String db, String sql) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                psql.toString(),
                "-h",
                pg.host(),
                "-p",
                Integer.toString(pg.port()),
                "-U",
                "alice_tool",
                "-d",
                db,
                "-At",
                "-c",
                sql)
            .redirectErrorStream(true);
    pb.environment().put("PGPASSWORD", "alice-pw");
    Process p = pb.start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  @Test
  void aWriterWhoseBackendIsKilledFailsClearlyAndLeavesNothing(@TempDir Path dir) throws Exception {
    try (EditStore s = EditStore.open(PgStores.fresh(dir))) {
      PgStores.workload(s, seed, 3);
      long before = s.latestVersion();
      Random r = new Random(seed);
      try (StoreSession ss = s.openSession("w")) {
        ss.insert(Fixtures.edit(r, "l1", 1).build());
        int pid;
        try (Statement st = ss.sql().createStatement();
            ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
          rs.next();
          pid = rs.getInt(1);
        }
        try (Connection su = PgCluster.shared().connect();
            Statement st = su.createStatement()) {
          st.execute("SELECT pg_terminate_backend(" + pid + ")");
        }
        StoreException e = assertThrows(StoreException.class, ss::commit);
        assertEquals(StoreException.Kind.UNAVAILABLE, e.kind());
      }
      assertEquals(before, s.latestVersion());
      s.insert(Fixtures.edit(r, "l1", 1).build(), "w");
      assertEquals(
          before + 1,
          s.latestVersion(),
          "the next writer gets the next version: nothing half applied");
      assertTrue(s.verifyHistory().ok());
    }
  }

  @Test
  void nodesReconnectAndCatchUpAfterPostgresRestarts(@TempDir Path dir) throws Exception {
    StoreConfig a = PgStores.fresh(dir.resolve("a"));
    try (EditStore na = EditStore.open(a);
        EditStore nb = EditStore.open(PgStores.node(a, dir.resolve("b")))) {
      PgStores.workload(na, seed, 3);
      awaitVersion(nb, na.latestVersion());
      PgCluster.shared().restart();
      retry(() -> na.insert(Fixtures.edit(new Random(seed), "l1", 1).build(), "w"));
      awaitVersion(nb, na.latestVersion());
      assertEquals(PgStores.answers(na, seed, 3), PgStores.answers(nb, seed, 3));
    }
  }

  private static long retry(java.util.concurrent.Callable<Long> work) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        return work.call();
      } catch (StoreException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  /** Waits (at most 30 s) until {@code node} routes at {@code version}. */
  static void awaitVersion(EditStore node, long version) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (node.latestVersion() < version) {
      assertTrue(System.nanoTime() < deadline, "node never reached version " + version);
      Thread.sleep(10);
    }
  }

  private static long single(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void assertRefused(Statement st, String sql) {
    SQLException e = assertThrows(SQLException.class, () -> st.execute(sql), sql);
    assertTrue(
        e.getSQLState().startsWith("42") || e.getSQLState().startsWith("25"),
        sql + " -> " + e.getSQLState() + " " + e.getMessage());
  }
}
