package io.editdb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Every command answers --help with its options and exit status 0; a mistake gets status 2. */
class MainTest {

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) throws Exception {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(args);
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void everyCommandHasHelp() throws Exception {
    for (String[] args :
        new String[][] {
          {"--help"},
          {"help"},
          {},
          {"demo", "--help"},
          {"shell", "--help"},
          {"host", "--help"},
          {"host"},
          {"host", "train", "--help"},
          {"host", "keys", "--help"}
        }) {
      Run r = run(args);
      assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
      assertTrue(r.out().contains("editdb"), String.join(" ", args) + ": " + r.out());
    }
    assertTrue(run("help").out().contains("usage: editdb <command>"));
    assertTrue(run("host", "keys", "--help").out().contains("editdb host keys ["));
    assertTrue(run("demo", "--help").out().contains("--edits"));
  }

  @Test
  void shellRefusesADirectoryWithoutAStoreUnlessToldToCreate(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path typo = dir.resolve("edtis");
    Run r = run("shell", "jdbc:editdb:" + typo);
    assertEquals(1, r.code());
    assertTrue(r.err().contains("no EditDB store in " + typo), r.err());
    assertTrue(r.err().contains("--create") || r.err().contains("create=true"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(!java.nio.file.Files.exists(typo), "nothing was created");
  }

  @Test
  void mistakesAreOneLineAndStatusTwo() throws Exception {
    Run unknown = run("frobnicate");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("unknown command 'frobnicate'"), unknown.err());
    assertEquals(1, unknown.err().strip().lines().count(), unknown.err());
    assertEquals(2, run("host", "retrain").code());
    IllegalArgumentException edits =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> run("demo", "--edits", "x"));
    assertTrue(edits.getMessage().contains("--edits takes a whole number"), edits.getMessage());
    Run bench = run("bench", "store");
    assertEquals(2, bench.code());
    assertTrue(bench.err().contains("./editdb bench --help"), bench.err());
  }
}
