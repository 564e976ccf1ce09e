package io.editdb.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Every bench subcommand answers --help with its options (it used to throw for some). */
class MainTest {

  private static String run(String... args) throws Exception {
    PrintStream out = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      Main.main(args);
    } finally {
      System.setOut(out);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void everyBenchSubcommandHasHelp() throws Exception {
    for (String sub : Main.BENCH_USAGE.keySet()) {
      String text = run("bench", sub, "--help");
      assertTrue(text.startsWith("editdb bench " + sub + " "), sub + ": " + text);
    }
    assertTrue(run("bench", "answers", "--help").contains("editdb bench answers"));
    assertTrue(run("bench", "visedit", "--help").contains("editdb bench visedit"));
    assertTrue(run("bench", "--help").contains("editdb bench visedit"));
    assertTrue(run("bench", "--help").contains("editdb bench answers"));
    assertTrue(run("help").contains("usage: editdb <command>"));
    assertTrue(run("host", "keys", "--help").contains("editdb host keys"));
  }
}
