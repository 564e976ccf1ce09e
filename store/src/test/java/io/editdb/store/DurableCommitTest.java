package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit that returned survives the process being killed right after it. H2 keeps commits in
 * memory for up to its WRITE_DELAY by default; the store must not (found by the crash harness,
 * {@code editdb bench crash}).
 */
class DurableCommitTest {
  @Test
  void commitsSurviveASigkillRightAfterThem(@TempDir Path dir) throws Exception {
    int edits = 5;
    Process p =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "--add-modules",
                "jdk.incubator.vector",
                "-cp",
                System.getProperty("java.class.path"),
                CommitThenWait.class.getName(),
                dir.toString(),
                Long.toString(Fixtures.seed()),
                Integer.toString(edits))
            .redirectError(Redirect.DISCARD)
            .start();
    long printed = -1;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith("COMMITTED ")) {
          printed = Long.parseLong(line.substring(10));
        } else if (line.equals("DONE")) {
          p.toHandle().destroyForcibly(); // SIGKILL: no shutdown hook, no close
          break;
        }
      }
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(128 + 9, p.exitValue(), "the child must have died of SIGKILL");
    assertEquals(1 + edits, printed);
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      assertEquals(printed, s.latestVersion(), "versions whose commit() returned were lost");
      assertEquals(edits, s.activeEditIds("l1", printed).size());
      assertTrue(s.verifyHistory().ok());
    }
  }
}
