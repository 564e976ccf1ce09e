package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EditStoreTest {
  private final long seed = Fixtures.seed();
  private final Random r = new Random(seed);

  @Test
  void everyFieldRoundTripsIncludingHalfPrecisionWeights(@TempDir Path dir) {
    float[] a = Fixtures.floats(r, 3 * Fixtures.D);
    float[] b = Fixtures.floats(r, Fixtures.D * 3);
    Map<WeightDtype, Long> ids = new HashMap<>();
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
      for (WeightDtype dt : WeightDtype.values()) {
        ids.put(
            dt,
            s.insert(
                Fixtures.edit(r, "l1", 3)
                    .weights(a, b, 3, 0.75f, dt)
                    .imageRef("img/ü.jpg")
                    .author("ana")
                    .reason("it's \"wrong\"; DROP TABLE x")
                    .build(),
                "ana"));
      }
    }
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) { // reopened from disk
      for (WeightDtype dt : WeightDtype.values()) {
        EditRecord e = s.edit(ids.get(dt));
        assertEquals(dt, e.weightDtype());
        assertEquals(dt, VectorCodec.dtype(e.expertA()));
        assertEquals("l1", e.layer());
        assertEquals("img/ü.jpg", e.imageRef());
        assertEquals("it's \"wrong\"; DROP TABLE x", e.reason());
        assertEquals("ana", e.author());
        assertEquals(3, e.rank());
        assertEquals(0.75f, e.alpha());
        assertTrue(e.active());
        assertNull(e.retiredVersion());
        float[] back = VectorCodec.decode(e.expertA());
        for (int i = 0; i < a.length; i++) {
          float tol = dt == WeightDtype.F32 ? 0 : dt == WeightDtype.F16 ? 1e-3f : 1e-2f;
          assertEquals(a[i], back[i], tol * Math.max(1, Math.abs(a[i])), "seed " + seed);
        }
        ExpertWeights w = s.weights(e.id());
        assertEquals(ExpertKind.LORA, w.kind());
        assertEquals(Fixtures.D, w.dIn());
      }
      assertArrayEquals(VectorCodec.decode(s.edit(ids.get(WeightDtype.F32)).expertB()), b);
    }
  }

  @Test
  void closingReleasesTheDatabaseAndLeavesNoErrorTrace(@TempDir Path dir) throws Exception {
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
      s.insert(Fixtures.edit(r, "l1", 2).build(), "ana");
      try (Connection c = s.readConnection()) {
        assertTrue(c.isValid(1));
      }
    }
    assertFalse(Files.exists(dir.resolve("editdb.trace.db")), "H2 traced an error at close");
    // H2 holds a lock on its file while the database is open; one JVM cannot lock it twice.
    try (FileChannel ch = FileChannel.open(dir.resolve("editdb.mv.db"), StandardOpenOption.WRITE);
        FileLock lock = ch.tryLock()) {
      assertNotNull(lock, "the database file is still locked after close");
    }
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      assertEquals(2, s.latestVersion());
    }
    String name = "close-" + seed;
    try (EditStore s = EditStore.open(StoreConfig.inMemory(name))) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
    }
    try (EditStore s = EditStore.open(StoreConfig.inMemory(name))) {
      assertEquals(0, s.latestVersion(), "a closed in-memory store is gone");
      assertTrue(s.layers().isEmpty());
    }
  }

  @Test
  void versionsAreDenseAndInCommitOrderUnderConcurrentWriters() throws Exception {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<List<Long>>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        long threadSeed = r.nextLong();
        futures.add(
            pool.submit(
                () -> {
                  Random tr = new Random(threadSeed);
                  List<Long> versions = new ArrayList<>();
                  for (int i = 0; i < 15; i++) {
                    try (StoreSession ss = s.openSession("w")) {
                      ss.insert(Fixtures.edit(tr, "l1", 2).build());
                      if (i % 3 == 0) {
                        ss.insert(Fixtures.edit(tr, "l1", 1).build());
                      }
                      versions.add(ss.commit());
                    }
                  }
                  return versions;
                }));
      }
      List<Long> all = new ArrayList<>();
      for (Future<List<Long>> f : futures) {
        List<Long> mine = f.get();
        for (int i = 1; i < mine.size(); i++) {
          assertTrue(mine.get(i) > mine.get(i - 1), "a thread's versions rise");
        }
        all.addAll(mine);
      }
      pool.shutdown();
      all.sort(null);
      for (int i = 0; i < all.size(); i++) {
        assertEquals(i + 2, all.get(i), "dense after the layer's version 1; seed " + seed);
      }
      try (Connection c = s.readConnection();
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT COUNT(*), MIN(version), MAX(version),"
                      + " SUM(edits_added) FROM versions")) {
        rs.next();
        assertEquals(61, rs.getLong(1));
        assertEquals(1, rs.getLong(2));
        assertEquals(61, rs.getLong(3));
        assertEquals(60 + 20, rs.getLong(4));
      }
      assertTrue(s.verifyHistory().ok());
    }
  }

  @Test
  void activeAtPastVersionsFollowsRollbacksAndRestores() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("l1").build(), "admin"); // v1
      long e1 = s.insert(Fixtures.edit(r, "l1", 1).build(), "u"); // v2
      long e2 = s.insert(Fixtures.edit(r, "l1", 1).build(), "u"); // v3
      try (StoreSession ss = s.openSession("u")) {
        assertEquals(1, ss.rollbackEdit(e1, "bad")); // v4
        assertEquals(4, ss.commit());
      }
      try (StoreSession ss = s.openSession("u")) {
        ss.restoreEdit(e1, "was fine"); // v5
        ss.rollbackEdit(e2, "bad");
        assertEquals(5, ss.commit());
      }
      assertEquals(List.of(), s.activeEditIds("l1", 1));
      assertEquals(List.of(e1), s.activeEditIds("l1", 2));
      assertEquals(List.of(e1, e2), s.activeEditIds("l1", 3));
      assertEquals(List.of(e2), s.activeEditIds("l1", 4));
      assertEquals(List.of(e1), s.activeEditIds("l1", 5));
      assertFalse(s.edit(e2).active());
      assertEquals(5L, s.edit(e2).retiredVersion());
      // the index answers the same at every version
      Layer l = s.layer("l1");
      for (long v = 1; v <= 5; v++) {
        for (SearchMode m : SearchMode.values()) {
          List<Long> found =
              s.searchKeys(l, Fixtures.unit(r, Fixtures.VIS), null, 10, v, m).stream()
                  .map(KeyHit::editId)
                  .sorted()
                  .toList();
          assertEquals(s.activeEditIds("l1", v), found, "version " + v + " " + m);
        }
      }
    }
  }

  @Test
  void rollbackToVersionRestoresThatActiveSet() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        ids.add(s.insert(Fixtures.edit(r, "l1", 1).build(), "u"));
      }
      try (StoreSession ss = s.openSession("u")) {
        ss.rollbackEdits(List.of(ids.get(0), ids.get(1)), "bad pair");
        ss.commit();
      }
      long mid = s.latestVersion();
      List<Long> activeAtMid = s.activeEditIds(null, mid);
      for (int i = 0; i < 3; i++) {
        s.insert(Fixtures.edit(r, "l1", 1).build(), "u");
      }
      try (StoreSession ss = s.openSession("u")) {
        ss.restoreEdit(ids.get(0), "fine after all");
        ss.rollbackEdit(ids.get(4), "bad");
        ss.commit();
      }
      int changed;
      try (StoreSession ss = s.openSession("u")) {
        changed = ss.rollbackToVersion(mid, "back to mid");
        ss.commit();
      }
      assertEquals(3 + 1 + 1, changed); // 3 new retired, ids[0] retired, ids[4] restored
      assertEquals(activeAtMid, s.activeEditIds(null, s.latestVersion()));
      assertEquals(activeAtMid, s.activeEditIds(null, mid));
      assertTrue(s.verifyHistory().ok());
    }
  }

  @Test
  void rolledBackTransactionLeavesNothingAndKeepsVersionsDense() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
      try (StoreSession ss = s.openSession("u")) {
        ss.insert(Fixtures.edit(r, "l1", 1).build());
        ss.insert(Fixtures.edit(r, "l1", 1).build());
        ss.rollback();
      }
      assertEquals(1, s.latestVersion());
      assertEquals(List.of(), s.activeEditIds(null, 1));
      long id = s.insert(Fixtures.edit(r, "l1", 1).build(), "u");
      assertEquals(2, s.latestVersion());
      assertEquals(1, id, "ids of discarded edits are reused: nothing of them remains");
      assertTrue(s.verifyHistory().ok());
    }
  }

  @Test
  void refusedWriteInsideTransactionKeepsTheRest() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
      try (StoreSession ss = s.openSession("u")) {
        long a = ss.insert(Fixtures.edit(r, "l1", 1).build());
        assertThrows(
            StoreException.class,
            () -> ss.insert(Fixtures.edit(r, "l1", 1).textKey(new float[2]).build()));
        assertThrows(StoreException.class, () -> ss.rollbackEdit(999, "x"));
        long b = ss.insert(Fixtures.edit(r, "l1", 1).build());
        assertEquals(a + 1, b);
        assertEquals(2, ss.commit());
      }
      assertEquals(2, s.activeEditIds("l1", 2).size());
      assertTrue(s.verifyHistory().ok());
    }
  }

  @Test
  void historyChainVerifiesAndDetectsAChangedRow() throws Exception {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
      long id = s.insert(Fixtures.edit(r, "l1", 1).build(), "u");
      s.insert(Fixtures.edit(r, "l1", 1).build(), "u");
      try (StoreSession ss = s.openSession("u")) {
        ss.rollbackEdit(id, "bad");
        ss.commit();
      }
      HistoryCheck ok = s.verifyHistory();
      assertTrue(ok.ok(), ok.toString());
      assertEquals(4, ok.checked());
      try (Connection c = s.readConnection();
          Statement st = c.createStatement()) {
        st.executeUpdate("UPDATE edit_history SET reason = 'innocent' WHERE seq = 4");
      }
      HistoryCheck bad = s.verifyHistory();
      assertFalse(bad.ok());
      assertEquals(4L, bad.firstBadSeq());
      try (Connection c = s.readConnection();
          Statement st = c.createStatement()) {
        st.executeUpdate("UPDATE edit_history SET reason = 'bad' WHERE seq = 4");
        assertTrue(s.verifyHistory().ok(), "restoring the row restores the chain");
        st.executeUpdate("UPDATE edits SET target = 'forged' WHERE id = " + id);
      }
      HistoryCheck forged = s.verifyHistory();
      assertFalse(forged.ok());
      assertEquals(2L, forged.firstBadSeq(), "the INSERT row covers the edit's content");
    }
  }

  @Test
  void layerNamesAreUniqueCaseInsensitively() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
      StoreException e =
          assertThrows(
              StoreException.class, () -> s.createLayer(Fixtures.layer("L1").build(), "admin"));
      assertEquals(StoreException.Kind.DUPLICATE_LAYER, e.kind());
      assertEquals(1, s.latestVersion());
      assertEquals(1, s.layers().size());
    }
  }

  @Test
  void storeWithANewerSchemaIsRefusedAndLeftAlone(@TempDir Path dir) throws Exception {
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
      try (Connection c = s.readConnection();
          Statement st = c.createStatement()) {
        st.executeUpdate(
            "INSERT INTO \"editdb_schema_history\" (\"installed_rank\","
                + " \"version\", \"description\", \"type\", \"script\", \"checksum\","
                + " \"installed_by\", \"installed_on\", \"execution_time\", \"success\")"
                + " VALUES (99, '99', 'future', 'SQL', 'V99__future.sql', 0, 'sa',"
                + " CURRENT_TIMESTAMP, 0, TRUE)");
      }
    }
    StoreException e =
        assertThrows(StoreException.class, () -> EditStore.open(StoreConfig.directory(dir)));
    assertEquals(StoreException.Kind.UNAVAILABLE, e.kind());
    assertTrue(e.getMessage().contains("99"), e.getMessage());
    try (Connection c =
            java.sql.DriverManager.getConnection(
                "jdbc:h2:file:" + dir.resolve("editdb"), "sa", "");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM layers")) {
      rs.next();
      assertEquals(1, rs.getInt(1), "the refused open changed nothing");
    }
  }
}
