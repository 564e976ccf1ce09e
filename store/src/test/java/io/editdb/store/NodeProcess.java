package io.editdb.store;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One EditDB node in its own JVM, for {@link PgNodesTest}: opens a PostgreSQL store with its own
 * index directory and writes, or only routes.
 *
 * <pre>
 * NodeProcess url user password indexDir seed versions [answersFile finalVersionFile]
 * </pre>
 *
 * It writes {@code versions} transactions of the seeded workload (0: none), printing {@code
 * COMMITTED v} once each commit has returned. Given the two files, it then waits for the parent to
 * write the final version into {@code finalVersionFile}, waits until its own index routes at that
 * version, and writes what it answers at every version ({@link PgStores#answers}) to {@code
 * answersFile}.
 */
public final class NodeProcess {
  private NodeProcess() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    StoreConfig config = StoreConfig.postgres(args[0], args[1], args[2], Path.of(args[3]));
    long seed = Long.parseLong(args[4]);
    int versions = Integer.parseInt(args[5]);
    try (EditStore store = EditStore.open(config)) {
      out.println("OPEN " + store.latestVersion());
      Random r = new Random(seed);
      for (int i = 0; i < versions; i++) {
        for (long v : PgStores.workload(store, r.nextLong(), 1)) {
          out.println("COMMITTED " + v);
        }
      }
      if (args.length > 6) {
        Path answers = Path.of(args[6]);
        Path finalVersion = Path.of(args[7]);
        while (!Files.exists(finalVersion)) {
          Thread.sleep(20);
        }
        long target = Long.parseLong(Files.readString(finalVersion).trim());
        while (store.latestVersion() < target) {
          Thread.sleep(5);
        }
        List<String> lines = new ArrayList<>(PgStores.answers(store, 77, 4));
        lines.add("verify " + store.verifyHistory().ok());
        Files.write(answers, lines);
        out.println("ANSWERED " + target);
      }
    }
  }
}
