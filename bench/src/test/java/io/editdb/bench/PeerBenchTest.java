package io.editdb.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A bad efSearch list (or layout argument) is refused before anything is built: no FAISS
 * environment made, no store loaded (it used to be parsed only after the load, 20 minutes into a
 * run of a million).
 */
class PeerBenchTest {
  @Test
  void badEfSearchListsAreRefusedBeforeAnyWork() {
    Path store = Path.of("target/peer/store-1000");
    NumberFormatException editDb =
        assertThrows(
            NumberFormatException.class,
            () -> PeerBench.main(new String[] {"1000", "10", "48", "4x8"}));
    assertTrue(editDb.getMessage().contains("4x8"), editDb.getMessage());
    NumberFormatException faiss =
        assertThrows(
            NumberFormatException.class,
            () -> PeerBench.main(new String[] {"1000", "10", "48;96", "48"}));
    assertTrue(faiss.getMessage().contains("48;96"), faiss.getMessage());
    IllegalArgumentException zero =
        assertThrows(
            IllegalArgumentException.class,
            () -> PeerBench.main(new String[] {"1000", "10", "48", "0"}));
    assertTrue(zero.getMessage().contains("efSearch=0"), zero.getMessage());
    IllegalArgumentException layout =
        assertThrows(
            IllegalArgumentException.class,
            () -> PeerBench.main(new String[] {"1000", "10", "48", "48", "once"}));
    assertTrue(
        layout.getMessage().contains("'once'") && layout.getMessage().contains("'one'"),
        layout.getMessage());
    assertFalse(Files.exists(store), "nothing loaded");
  }
}
