package io.editdb.bench.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.cli.DirTrees;
import io.editdb.store.EditStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checker passes a store that holds what its writer committed, and names each way a store can
 * fail to: a lost version, one nobody committed, content changed, an index routing what H2 says is
 * rolled back. Writes in this process the way {@link CrashChild} does, feeding the same lines.
 */
class StoreCheckerTest {
  private static final long SEED = Long.getLong("editdb.crash.seed", new Random().nextLong());

  @TempDir Path tmp;
  private Path dir;
  private ExpectedHistory history;
  private StoreChecker checker;
  private long a;
  private long b;
  private long c;

  /** Versions: 1 layer, 2 insert a, 3 insert b, 4 insert c, 5 roll back a. */
  @BeforeEach
  void write() throws SQLException {
    dir = tmp.resolve("store");
    history = new ExpectedHistory();
    checker = new StoreChecker(dir, history, new Random(SEED));
    try (Writer w = new Writer()) {
      w.say("READY 0");
      w.say("PENDING 1 L");
      w.exec(CrashData.CREATE_LAYER);
      w.say("COMMITTED 1");
      a = w.insert("a");
      b = w.insert("b");
      c = w.insert("c");
      w.rollback(a);
    }
  }

  private List<String> check() {
    return checker.check("seed " + SEED).problems();
  }

  private static void assertFound(List<String> problems, String what) {
    assertTrue(
        problems.stream().anyMatch(p -> p.contains(what)),
        () -> "expected a problem with '" + what + "' in " + problems + " (seed " + SEED + ")");
  }

  @Test
  void aStoreHoldingExactlyWhatWasCommittedPasses() {
    StoreChecker.Result r = checker.check("seed " + SEED);
    assertEquals(List.of(), r.problems());
    assertEquals(5, r.latest());
    assertTrue(r.versionsChecked() >= 5, r::toString);
  }

  @Test
  void aVersionWhoseCommitReturnedButIsGoneIsALostCommit() {
    history.accept("TRY z", "writer");
    history.accept("PENDING 6 I:z", "writer");
    history.accept("COMMITTED 6 z=4", "writer");
    assertFound(check(), "LOST COMMIT");
  }

  @Test
  void aVersionNoWriterCommittedIsAPhantom() throws SQLException {
    assertEquals(List.of(), check());
    try (Writer w = new Writer()) {
      w.exec("ROLLBACK EDIT " + b); // behind the history's back
    }
    assertFound(check(), "PHANTOM VERSION");
  }

  @Test
  void aVersionInFlightIsAdoptedIfThereAndDroppedIfNot() throws SQLException {
    try (Writer w = new Writer()) {
      w.say("PENDING 6 R:" + b);
      w.exec("ROLLBACK EDIT " + b); // killed before COMMITTED was printed
    }
    assertEquals(List.of(), check());
    assertEquals(6, history.latest());
    assertEquals(1, history.adoptedInFlight());
    history.accept("TRY y", "writer");
    history.accept("PENDING 7 I:y", "writer"); // killed before the insert ran
    assertEquals(List.of(), check());
    assertEquals(6, history.latest());
    assertEquals(1, history.droppedInFlight());
    assertEquals(List.of("y"), history.ghosts());
  }

  @Test
  void changedKeysAreCaughtByTheChainTheContentAndTheRouting() throws Exception {
    try (Connection h2 =
            DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("editdb"), "sa", "");
        Statement st = h2.createStatement()) {
      st.executeUpdate(
          "UPDATE edits SET visual_key = (SELECT visual_key FROM edits WHERE id = "
              + c
              + ") WHERE id = "
              + b);
    }
    DirTrees.delete(dir.resolve("index")); // rebuilt from the changed H2
    List<String> problems = check();
    assertFound(problems, "VERIFY HISTORY: ok=false");
    assertFound(problems, "edit " + b + " (b) does not hold the keys");
    assertFound(
        problems,
        "ACTIVE EDIT NOT ROUTED: ROUTE (exact scan) at version 5 with the keys" + " of b");
    assertFound(problems, "ACTIVE EDIT NOT ROUTED: HNSW router at version 5 with the keys of b");
  }

  @Test
  void anIndexThatStillRoutesARolledBackEditIsCaught() throws Exception {
    // Keep the index as it was at version 4 (a still active), then stamp it as version 5.
    Path stale = tmp.resolve("index-at-4");
    try (Writer w = new Writer()) {
      w.unwrapStore().rebuildIndex(); // a durable index at version 5
    }
    try (Writer w = new Writer()) {
      w.say("PENDING 6 S:" + a);
      w.exec("RESTORE EDIT " + a);
      w.say("COMMITTED 6");
    }
    copyTree(dir.resolve("index"), stale); // version 6: a active again
    try (Writer w = new Writer()) {
      w.say("PENDING 7 R:" + a);
      w.exec("ROLLBACK EDIT " + a);
      w.say("COMMITTED 7");
    }
    DirTrees.delete(dir.resolve("index"));
    copyTree(stale, dir.resolve("index"));
    try (FSDirectory d = FSDirectory.open(dir.resolve("index"));
        IndexWriter iw = new IndexWriter(d, new IndexWriterConfig())) {
      iw.setLiveCommitData(Map.of("editdb.version", "7").entrySet()); // lies: it is version 6
      iw.commit();
    }
    assertFound(
        check(),
        "ROUTED AN EDIT NOT ACTIVE THERE (rolled back, or later): ROUTE (exact"
            + " scan) at version 7 with the keys of a");
  }

  private static void copyTree(Path from, Path to) throws java.io.IOException {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : files.toList()) {
        if (!f.getFileName().toString().equals("write.lock")) {
          Files.copy(f, to.resolve(f.getFileName()));
        }
      }
    }
  }

  /** A connection that writes as the child does and feeds the child's lines to the history. */
  private final class Writer implements AutoCloseable {
    private final Connection conn;

    Writer() throws SQLException {
      conn = DriverManager.getConnection("jdbc:editdb:" + dir, "ana", "");
    }

    EditStore unwrapStore() throws SQLException {
      return conn.unwrap(EditStore.class);
    }

    void say(String line) {
      history.accept(line, "writer");
    }

    void exec(String sql) throws SQLException {
      try (Statement st = conn.createStatement()) {
        st.execute(sql);
      }
    }

    private long next() throws SQLException {
      return unwrapStore().latestVersion() + 1;
    }

    long insert(String tag) throws SQLException {
      say("TRY " + tag);
      long v = next();
      say("PENDING " + v + " I:" + tag);
      try (PreparedStatement ps =
          conn.prepareStatement(CrashData.INSERT, Statement.RETURN_GENERATED_KEYS)) {
        CrashData.bind(ps, tag);
        ps.executeUpdate();
        try (ResultSet keys = ps.getGeneratedKeys()) {
          keys.next();
          long id = keys.getLong(1);
          say("COMMITTED " + v + " " + tag + "=" + id);
          return id;
        }
      }
    }

    void rollback(long id) throws SQLException {
      long v = next();
      say("PENDING " + v + " R:" + id);
      exec("ROLLBACK EDIT " + id);
      say("COMMITTED " + v);
    }

    @Override
    public void close() throws SQLException {
      conn.close();
    }
  }
}
