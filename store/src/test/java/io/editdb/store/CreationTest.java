package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store's schema survives a process killed while creating or upgrading it: creation happens under
 * a staging name and one rename, and the newest migration may run twice.
 */
class CreationTest {

  @Test
  void aStagingFileLeftByAKilledCreationIsDiscardedAndTheStoreOpens(@TempDir Path dir)
      throws Exception {
    Path staging = dir.resolve("editdb-creating.mv.db");
    Files.write(staging, "half a database".getBytes(StandardCharsets.US_ASCII));
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      s.createLayer(Fixtures.layer("a").build(), "t");
      try (StoreSession w = s.openSession("t")) {
        w.insert(Fixtures.edit(new Random(1), "a", 2).build());
        w.commit();
      }
    }
    assertFalse(Files.exists(staging), "the staging file is gone");
    assertTrue(Files.exists(dir.resolve("editdb.mv.db")));
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      assertEquals(2, s.latestVersion(), "nothing committed is lost on reopening");
      assertTrue(s.verifyHistory().ok());
    }
  }

  @Test
  void theNewestMigrationRunsTwiceWithoutHarm() throws Exception {
    String script;
    try (InputStream in = EditStore.class.getResourceAsStream("/db/editdb/V7__token_mask.sql")) {
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try (EditStore s = EditStore.open(Fixtures.mem());
        Connection c = s.readConnection();
        Statement st = c.createStatement()) {
      StringBuilder sql = new StringBuilder();
      for (String line : script.split("\n")) {
        if (!line.startsWith("--")) {
          sql.append(line).append('\n');
        }
      }
      for (String statement : sql.toString().split(";")) {
        if (!statement.isBlank()) {
          st.execute(statement); // as an upgrade killed after this statement would re-run it
        }
      }
      try (var rs = st.executeQuery("SELECT COUNT(*) FROM EDITDB.edits WHERE token_mask IS NULL")) {
        assertTrue(rs.next());
      }
    }
  }
}
