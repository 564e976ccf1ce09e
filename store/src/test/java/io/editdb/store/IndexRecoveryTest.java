package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A deleted, stale or corrupted index comes back as exactly the truth in H2. */
class IndexRecoveryTest {
  private final long seed = Fixtures.seed();
  private final Random r = new Random(seed);

  /** Builds history with inserts, rollbacks and a restore; returns the number of versions. */
  private long populate(EditStore s, int edits) {
    if (s.findLayer("l1").isEmpty()) {
      s.createLayer(Fixtures.layer("l1").build(), "admin");
    }
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < edits; i++) {
      ids.add(s.insert(Fixtures.edit(r, "l1", 1 + r.nextInt(4)).build(), "u"));
    }
    try (StoreSession ss = s.openSession("u")) {
      ss.rollbackEdits(List.of(ids.get(0), ids.get(2)), "bad");
      ss.commit();
    }
    try (StoreSession ss = s.openSession("u")) {
      ss.restoreEdit(ids.get(0), "fine");
      ss.commit();
    }
    return s.latestVersion();
  }

  /** The index finds, at every version, exactly the edits H2 says are active. */
  private void assertIndexIsTruth(EditStore s) {
    Layer l = s.layer("l1");
    assertEquals(s.latestVersion(), s.indexWatermark());
    for (long v = 0; v <= s.latestVersion(); v++) {
      List<Long> truth = s.activeEditIds("l1", v);
      for (SearchMode m : SearchMode.values()) {
        List<Long> found =
            s.searchKeys(l, Fixtures.unit(r, Fixtures.VIS), null, 1024, v, m).stream()
                .map(KeyHit::editId)
                .sorted()
                .toList();
        assertEquals(truth, found, "version " + v + " mode " + m + " seed " + seed);
      }
    }
  }

  @Test
  void deletedIndexIsRebuilt(@TempDir Path dir) throws IOException {
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      populate(s, 30);
    }
    deleteTree(dir.resolve("index"));
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      assertIndexIsTruth(s);
    }
  }

  @Test
  void staleIndexCatchesUpIncludingRollbacks(@TempDir Path dir, @TempDir Path old)
      throws IOException {
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      populate(s, 10);
    }
    copyTree(dir.resolve("index"), old);
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      populate(s, 10); // new inserts, and rollbacks of spans the old index holds open
      try (StoreSession ss = s.openSession("u")) {
        ss.rollbackEdit(s.activeEditIds("l1", s.latestVersion()).get(1), "late");
        ss.commit();
      }
    }
    deleteTree(dir.resolve("index"));
    copyTree(old, dir.resolve("index"));
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      assertIndexIsTruth(s);
    }
  }

  @Test
  void corruptedIndexIsRebuilt(@TempDir Path dir) throws IOException {
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      populate(s, 40);
    }
    try (Stream<Path> files = Files.list(dir.resolve("index"))) {
      for (Path f : files.filter(p -> !p.getFileName().toString().equals("write.lock")).toList()) {
        byte[] b = Files.readAllBytes(f);
        for (int i = 0; i < b.length; i += 7) {
          b[i] ^= 0x5a;
        }
        Files.write(f, b);
      }
    }
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      assertIndexIsTruth(s);
      assertTrue(s.verifyHistory().ok());
    }
  }

  /**
   * One flipped byte in the middle of a segment's data: Lucene's open only checks headers and
   * footers, so without a full checksum pass the store would serve (and later commit) an index
   * whose vectors or doc values are wrong. Found by the crash harness's index damage.
   */
  @Test
  void aFlippedByteInsideSegmentDataIsFoundAtOpenAndTheIndexRebuilt(@TempDir Path dir)
      throws IOException {
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      populate(s, 40);
    }
    Path index = dir.resolve("index");
    Path largest;
    try (Directory d = FSDirectory.open(index)) {
      largest =
          SegmentInfos.readLatestCommit(d).files(false).stream()
              .map(index::resolve)
              .max(Comparator.comparingLong(IndexRecoveryTest::size))
              .orElseThrow();
    }
    byte[] b = Files.readAllBytes(largest);
    b[b.length / 2] ^= 0x40;
    Files.write(largest, b);
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      assertIndexIsTruth(s);
    }
    try (Directory d = FSDirectory.open(index);
        CheckIndex check = new CheckIndex(d)) {
      check.setInfoStream(null);
      assertTrue(check.checkIndex().clean, "the store kept a damaged " + largest.getFileName());
    }
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void explicitRebuildKeepsTheTruth() {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      populate(s, 20);
      s.rebuildIndex();
      assertIndexIsTruth(s);
      populate(s, 3); // and keeps working afterwards
      assertIndexIsTruth(s);
    }
  }

  private static void deleteTree(Path p) throws IOException {
    try (Stream<Path> files = Files.walk(p)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }
}
