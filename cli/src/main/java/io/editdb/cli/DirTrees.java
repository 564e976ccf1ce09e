package io.editdb.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removing a scratch directory (a demo or benchmark store) with everything under it. */
public final class DirTrees {
  private DirTrees() {}

  /**
   * Deletes {@code p} and everything below it; nothing happens when it does not exist.
   *
   * @param p a file or directory
   * @throws IOException when something under it cannot be deleted
   */
  public static void delete(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> files = Files.walk(p)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
