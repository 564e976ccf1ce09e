package io.editdb.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo recreates its store, but never one in use and never a directory that is not one. */
class DemoTest {
  @TempDir Path dir;

  @Test
  void aStoreInUseIsNotDeletedAClosedOneIs() throws Exception {
    Path store = dir.resolve("demo-store");
    try (Connection c = DriverManager.getConnection("jdbc:editdb:" + store, "ana", "")) {
      c.createStatement().execute("CREATE TABLE APP.notes (id INT)");
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> Demo.recreate(store));
      assertTrue(e.getMessage().contains("open in another process"), e.getMessage());
      assertTrue(Files.exists(store.resolve("editdb.mv.db")), "the store in use was deleted");
      // and the open store still works
      c.createStatement().execute("INSERT INTO notes VALUES (1)");
    }
    Demo.recreate(store);
    assertFalse(Files.exists(store), "a closed demo store is recreated from nothing");
  }

  @Test
  void aDirectoryThatIsNotAStoreIsLeftAlone() throws Exception {
    Path other = dir.resolve("photos");
    Files.createDirectories(other);
    Files.writeString(other.resolve("holiday.txt"), "keep me");
    assertThrows(IllegalArgumentException.class, () -> Demo.recreate(other));
    assertTrue(Files.exists(other.resolve("holiday.txt")));
  }
}
