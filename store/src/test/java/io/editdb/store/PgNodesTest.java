package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several EditDB processes on one PostgreSQL store, each a JVM of its own ({@link NodeProcess})
 * with its own index: what they answer against a single-node replay of the history, and writers
 * killed with SIGKILL mid-write.
 */
class PgNodesTest {
  private final long seed = Fixtures.seed();

  @Test
  void threeNodesTwoWritingAnswerAsASingleNodeReplayAtEveryVersion(@TempDir Path dir)
      throws Exception {
    StoreConfig config = PgStores.fresh(dir.resolve("parent"));
    try (EditStore s = EditStore.open(config)) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
    }
    Random r = new Random(seed);
    Path finalVersion = dir.resolve("final");
    List<Child> nodes = new ArrayList<>();
    int[] writes = {20, 20, 0};
    for (int n = 0; n < 3; n++) {
      nodes.add(
          Child.start(
              config,
              dir.resolve("node" + n),
              r.nextLong(),
              writes[n],
              dir.resolve("answers" + n),
              finalVersion));
    }
    for (int n = 0; n < 3; n++) {
      nodes.get(n).await("COMMITTED", writes[n]);
    }
    long latest;
    try (Connection c = owner(config)) {
      latest = denseVersions(c);
    }
    // Written beside and moved into place: a node polls for the file and must never read it
    // half-written (it once read "" and died parsing it).
    Path written = Files.writeString(dir.resolve("final.tmp"), Long.toString(latest));
    Files.move(written, finalVersion, StandardCopyOption.ATOMIC_MOVE);
    for (Child c : nodes) {
      c.await("ANSWERED", 1);
      assertEquals(0, c.exit(), c.toString());
    }
    List<String> replayed;
    try (Connection c = owner(config);
        EditStore h2 = replay(c)) {
      replayed = new ArrayList<>(PgStores.answers(h2, 77, 4));
      replayed.add("verify " + h2.verifyHistory().ok());
    }
    assertEquals(latest + 1 + 4L * latest, replayed.size(), "one line per version and query");
    for (int n = 0; n < 3; n++) {
      assertEquals(replayed, Files.readAllLines(dir.resolve("answers" + n)), "node " + n);
    }
  }

  @Test
  void writersKilledMidWriteLoseNothingCommittedAndLeaveNothingHalfApplied(@TempDir Path dir)
      throws Exception {
    StoreConfig config = PgStores.fresh(dir.resolve("parent"));
    Random r = new Random(seed);
    Set<Long> reported = new HashSet<>();
    try (EditStore parent = EditStore.open(config)) {
      parent.createLayer(Fixtures.layer("l1").build(), "admin");
      for (int kill = 0; kill < 20; kill++) {
        Child w = Child.start(config, dir.resolve("writer"), r.nextLong(), 100_000, null, null);
        w.await("OPEN", 1);
        Thread.sleep(r.nextInt(600));
        w.process.destroyForcibly(); // SIGKILL
        assertTrue(w.process.waitFor(30, TimeUnit.SECONDS));
        w.reader.join(5_000);
        for (String line : w.lines) {
          if (line.startsWith("COMMITTED ") && !line.equals("COMMITTED 0")) {
            reported.add(Long.parseLong(line.substring(10)));
          }
        }
      }
      long latest;
      try (Connection c = owner(config)) {
        latest = denseVersions(c);
        for (long v : reported) {
          assertTrue(v <= latest, "version " + v + " was reported committed and is lost");
        }
        wholeVersions(c);
        try (EditStore h2 = replay(c)) {
          PgStoreTest.awaitVersion(parent, latest);
          assertEquals(PgStores.answers(h2, 77, 3), PgStores.answers(parent, 77, 3));
        }
      }
      assertTrue(reported.size() > 20, "the writers committed between kills: " + reported.size());
      assertTrue(parent.verifyHistory().ok(), parent.verifyHistory().toString());
    }
    // The killed writers' own index directory opens and catches up (or is rebuilt).
    try (EditStore again = EditStore.open(PgStores.node(config, dir.resolve("writer")))) {
      assertTrue(again.verifyHistory().ok());
    }
  }

  // ---- checks on the truth ----

  private static Connection owner(StoreConfig config) throws SQLException {
    StoreConfig.Postgres t = config.postgres();
    return java.sql.DriverManager.getConnection(t.url(), t.user(), t.password());
  }

  /** Versions are 1..latest without a gap; returns latest. */
  private static long denseVersions(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*), COALESCE(MIN(version), 1), MAX(version) FROM versions")) {
      rs.next();
      assertEquals(1, rs.getLong(2));
      assertEquals(rs.getLong(1), rs.getLong(3), "versions dense");
      return rs.getLong(3);
    }
  }

  /** Every version's tallies match its history rows and its edits: none is half applied. */
  private static void wholeVersions(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT v.version FROM versions v WHERE v.edits_added <> (SELECT COUNT(*) FROM"
                    + " edit_history h WHERE h.version = v.version AND h.action = 'INSERT') OR"
                    + " v.edits_added <> (SELECT COUNT(*) FROM edits e WHERE e.created_version ="
                    + " v.version) OR v.edits_retired <> (SELECT COUNT(*) FROM edit_history h WHERE"
                    + " h.version = v.version AND h.action = 'ROLLBACK') OR v.edits_restored <>"
                    + " (SELECT COUNT(*) FROM edit_history h WHERE h.version = v.version AND"
                    + " h.action = 'RESTORE') OR NOT EXISTS (SELECT 1 FROM edit_history h WHERE"
                    + " h.version = v.version)")) {
      List<Long> bad = new ArrayList<>();
      while (rs.next()) {
        bad.add(rs.getLong(1));
      }
      assertEquals(List.of(), bad, "versions whose rows do not match their tallies");
    }
  }

  /**
   * A single-node replay of the history: an H2 store that performs, version by version, what the
   * history says (insert the edit as stored, roll back, restore), so ids and versions come out the
   * same if the nodes kept them dense and in order.
   */
  static EditStore replay(Connection truth) throws SQLException {
    EditStore h2 = EditStore.open(Fixtures.mem());
    boolean ok = false;
    try (PreparedStatement ps =
        truth.prepareStatement(
            "SELECT version, action, edit_id, layer, reason FROM edit_history ORDER BY seq")) {
      try (ResultSet rs = ps.executeQuery()) {
        StoreSession open = null;
        long openVersion = 0;
        while (rs.next()) {
          long v = rs.getLong(1);
          if (v != openVersion) {
            if (open != null) {
              assertEquals(openVersion, open.commit());
              open.close();
            }
            open = h2.openSession("replay");
            openVersion = v;
          }
          long id = rs.getLong(3);
          switch (rs.getString(2)) {
            case "CREATE_LAYER" -> open.createLayer(Fixtures.layer(rs.getString(4)).build());
            case "INSERT" -> assertEquals(id, open.insert(asNew(truth, id)));
            case "ROLLBACK" -> open.rollbackEdit(id, rs.getString(5));
            case "RESTORE" -> open.restoreEdit(id, rs.getString(5));
            default -> throw new IllegalStateException(rs.getString(2));
          }
        }
        if (open != null) {
          assertEquals(openVersion, open.commit());
          open.close();
        }
      }
      ok = true;
      return h2;
    } finally {
      if (!ok) {
        h2.close();
      }
    }
  }

  private static NewEdit asNew(Connection truth, long id) throws SQLException {
    EditRecord e = Rows.edit(truth, id).orElseThrow();
    return NewEdit.builder(e.layer(), e.prompt(), e.target())
        .imageRef(e.imageRef())
        .visualKey(e.visualKey())
        .textKey(e.textKey())
        .weights(
            VectorCodec.decode(e.expertA()),
            VectorCodec.decode(e.expertB()),
            e.rank(),
            e.alpha(),
            e.weightDtype())
        .author(e.author())
        .reason(e.reason())
        .build();
  }

  /** A {@link NodeProcess} JVM and the lines it printed. */
  static final class Child {
    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    final Thread reader;
    final Path log;

    private Child(Process p, Path log) {
      this.process = p;
      this.log = log;
      this.reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String l = in.readLine(); l != null; l = in.readLine()) {
                    lines.add(l);
                  }
                } catch (java.io.IOException e) {
                  lines.add("READ FAILED " + e);
                }
              });
      reader.setDaemon(true);
      reader.start();
    }

    static Child start(
        StoreConfig config, Path index, long seed, int versions, Path answers, Path finalVersion)
        throws java.io.IOException {
      StoreConfig.Postgres t = config.postgres();
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-Xmx512m"));
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
      cmd.add(NodeProcess.class.getName());
      cmd.addAll(
          List.of(
              t.url(),
              t.user(),
              t.password(),
              index.toString(),
              Long.toString(seed),
              Integer.toString(versions)));
      if (answers != null) {
        cmd.add(answers.toString());
        cmd.add(finalVersion.toString());
      }
      Path log = Files.createTempFile("editdb-node", ".log");
      return new Child(
          new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.to(log.toFile())).start(),
          log);
    }

    /** Waits (at most 120 s) until {@code count} lines start with {@code prefix}. */
    void await(String prefix, int count) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (lines.stream().filter(l -> l.startsWith(prefix)).count() < count) {
        assertTrue(process.isAlive() || reader.isAlive(), "node died: " + this);
        assertTrue(System.nanoTime() < deadline, "timed out waiting for " + prefix + ": " + this);
        Thread.sleep(10);
      }
    }

    int exit() throws InterruptedException {
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "node did not exit: " + this);
      return process.exitValue();
    }

    @Override
    public String toString() {
      return "node " + process.pid() + " printed " + lines + "; its stderr is in " + log;
    }
  }
}
