package io.editdb.bench.crash;

import io.editdb.cli.DirTrees;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@code editdb bench crash [kills=300] [--per-store N] [--seed S] [--dir D] [--verbose]}: hundreds
 * of SIGKILLs of a writing process on a few stores, half of them with the Lucene index damaged
 * between runs, each store checked against what its writers saw committed ({@link CrashHarness}).
 * Prints a summary; exits 1 if anything was lost, partial, phantom or wrongly routed.
 */
public final class CrashBench {
  private CrashBench() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    int kills = 300;
    int perStore = 15;
    long seed = Long.getLong("editdb.crash.seed", new Random().nextLong());
    Path dir = Path.of("target", "crashbench");
    boolean verbose = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--per-store" -> perStore = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--dir" -> dir = Path.of(args[++i]);
        case "--verbose" -> verbose = true;
        case "--help", "-h" -> {
          System.out.println(
              "editdb bench crash [kills=300] [--per-store 15] [--seed S]"
                  + " [--dir target/crashbench] [--verbose]");
          return;
        }
        default -> kills = Integer.parseInt(args[i]);
      }
    }
    DirTrees.delete(dir);
    Files.createDirectories(dir);
    System.out.printf(
        Locale.ROOT,
        "crash bench: %d kills, %d per store, seed %d (replay:" + " --seed %d), stores in %s%n",
        kills,
        perStore,
        seed,
        seed,
        dir.toAbsolutePath());
    PrintStream log =
        verbose
            ? System.out
            : new PrintStream(
                PrintStream.nullOutputStream(), false, java.nio.charset.StandardCharsets.UTF_8);
    long t0 = System.nanoTime();
    CrashHarness.Tally total = runStores(dir, seed, kills, perStore, log, System.out);
    double seconds = (System.nanoTime() - t0) / 1e9;
    print(total, seconds);
    if (!total.failures().isEmpty()) {
      System.out.println("\nFAILURES:");
      total.failures().forEach(f -> System.out.println("  " + f));
      System.exit(1);
    }
  }

  /**
   * Runs {@code kills} kills over stores of {@code perStore} kills each (every other store with
   * index damage); the store seeds come from {@code seed}. Shared with the test.
   */
  static CrashHarness.Tally runStores(
      Path dir, long seed, int kills, int perStore, PrintStream log, PrintStream progress)
      throws IOException, InterruptedException {
    Random seeds = new Random(seed);
    List<CrashHarness.Tally> tallies = new ArrayList<>();
    int store = 0;
    for (int left = kills; left > 0; left -= perStore, store++) {
      boolean damage = store % 2 == 1;
      long storeSeed = seeds.nextLong();
      Path storeDir = dir.resolve("store-" + store + (damage ? "-damaged" : ""));
      CrashHarness.Tally t =
          new CrashHarness(
                  storeDir,
                  storeSeed,
                  new CrashHarness.Options(Math.min(perStore, left), damage),
                  log)
              .run();
      tallies.add(t);
      progress.printf(
          Locale.ROOT,
          "  %-18s seed %20d: %3d kills, %4d versions, %2d checks,"
              + " %2d damages, %2d rebuilds, %d failures%n",
          storeDir.getFileName(),
          storeSeed,
          t.kills(),
          t.versions(),
          t.checks(),
          t.damages(),
          t.rebuilds(),
          t.failures().size());
    }
    CrashHarness.Tally total = CrashHarness.Tally.sum(tallies);
    if (!total.failures().isEmpty()) {
      total
          .failures()
          .add(
              "replay: -Deditdb.crash.seed="
                  + seed
                  + " (CrashSafetyTest) or"
                  + " editdb bench crash "
                  + kills
                  + " --per-store "
                  + perStore
                  + " --seed "
                  + seed);
    }
    return total;
  }

  private static void print(CrashHarness.Tally t, double seconds) {
    System.out.println();
    row("measure", "value");
    System.out.println("|" + "-".repeat(58) + "|" + "-".repeat(12) + "|");
    row("stores (every other one with index damage)", t.stores());
    row("kills (SIGKILL)", t.kills());
    row("  of which while the child was opening the store", t.killsWhileOpening());
    row("commits in flight at a kill, found durable", t.inFlightDurable());
    row("commits in flight at a kill, found absent", t.inFlightAbsent());
    row("recoveries checked in this process", t.checks());
    row("versions committed (all stores)", t.versions());
    row("version checks (EDITS_AT against the writers' record)", t.versionsChecked());
    row("index damages (deleted, truncated, corrupted, ...)", t.damages());
    row("index rebuilds seen at a check (damage found on open)", t.rebuilds());
    row("stores with a failure (a store stops at its first)", t.failedStores());
    row("elapsed (s)", String.format(Locale.ROOT, "%.1f", seconds));
  }

  private static void row(String k, Object v) {
    System.out.printf(Locale.ROOT, "| %-56s | %10s |%n", k, v);
  }
}
