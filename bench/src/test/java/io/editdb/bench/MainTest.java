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
      String text = run(sub, "--help");
      assertTrue(text.startsWith("editdb bench " + sub + " "), sub + ": " + text);
    }
    assertTrue(run("answers", "--help").contains("editdb bench answers"));
    assertTrue(run("visedit", "--help").contains("editdb bench visedit"));
    assertTrue(run("crash", "--help").contains("editdb bench crash"));
    assertTrue(run("lifelong", "--help").contains("editdb bench"));
    for (String sub :
        java.util.List.of(
            "store",
            "routing",
            "knn",
            "sql",
            "fused",
            "crash",
            "answers",
            "attribution",
            "visedit")) {
      assertTrue(run("--help").contains("editdb bench " + sub), sub);
    }
  }
}
