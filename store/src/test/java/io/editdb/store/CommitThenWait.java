package io.editdb.store;

import java.nio.file.Path;
import java.util.Random;

/**
 * Run in a child JVM by {@link DurableCommitTest}: creates a layer and commits edits one by one in
 * the directory given, printing {@code COMMITTED <version>} as each commit() returns, then waits to
 * be killed.
 */
public final class CommitThenWait {
  private CommitThenWait() {}

  public static void main(String[] args) throws InterruptedException {
    EditStore s = EditStore.open(StoreConfig.directory(Path.of(args[0])));
    Random r = new Random(Long.parseLong(args[1]));
    s.createLayer(Fixtures.layer("l1").build(), "admin");
    System.out.println("COMMITTED " + s.latestVersion());
    for (int i = 0; i < Integer.parseInt(args[2]); i++) {
      s.insert(Fixtures.edit(r, "l1", 2).build(), "u");
      System.out.println("COMMITTED " + s.latestVersion());
    }
    System.out.println("DONE");
    System.out.flush();
    Thread.sleep(120_000); // never closed: only the kill ends this process
  }
}
