package io.editdb.bench.crash;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Kills a writing process over and over on one store and checks what survives each kill.
 *
 * <pre>{@code
 * CrashHarness.Tally t = new CrashHarness(dir, seed, new CrashHarness.Options(6, true), out).run();
 * assert t.failures().isEmpty();
 * }</pre>
 *
 * Each cycle starts a {@link CrashChild} JVM on the store (same java, same class path), lets it
 * write for a random while (sometimes killing it before it has even opened the store, that is
 * during recovery), kills it with SIGKILL and reads what it printed into the {@link
 * ExpectedHistory}. After some kills (always after the last) this process opens the store and
 * checks it ({@link StoreChecker}); after the others the next child opens the crashed store itself,
 * so recovery of a recovery is exercised too. With damage on, the Lucene index is damaged ({@link
 * IndexDamage}) before some opens.
 *
 * <p>Everything random comes from the seed: a failure names it, and the same seed replays the same
 * decisions (the moments of the kills, and so what was in flight, still depend on timing).
 */
public final class CrashHarness {
  /** Kills on this store, and whether the index gets damaged between runs. */
  public record Options(int kills, boolean damage) {
    public Options {
      if (kills < 1) {
        throw new IllegalArgumentException("kills must be at least 1; kills=" + kills);
      }
    }
  }

  /** What happened on one store (or, summed, on several). */
  public record Tally(
      int stores,
      int failedStores,
      int kills,
      int killsWhileOpening,
      int inFlightDurable,
      int inFlightAbsent,
      int checks,
      int versions,
      int versionsChecked,
      int damages,
      int rebuilds,
      List<String> failures) {
    static Tally sum(List<Tally> ts) {
      List<String> f = new ArrayList<>();
      int[] s = new int[11];
      for (Tally t : ts) {
        int[] v = {
          t.stores,
          t.failedStores,
          t.kills,
          t.killsWhileOpening,
          t.inFlightDurable,
          t.inFlightAbsent,
          t.checks,
          t.versions,
          t.versionsChecked,
          t.damages,
          t.rebuilds
        };
        for (int i = 0; i < s.length; i++) {
          s[i] += v[i];
        }
        f.addAll(t.failures);
      }
      return new Tally(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], f);
    }
  }

  /** JVM flags the child needs (those of the launcher and of surefire), and a small heap. */
  private static final List<String> CHILD_JVM_FLAGS =
      List.of(
          "--add-modules",
          "jdk.incubator.vector",
          "--enable-native-access=ALL-UNNAMED",
          "-Dai.djl.offline=true",
          "-Xmx256m",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");

  private static final int SIGKILL_STATUS = 128 + 9;
  private static final long READY_TIMEOUT_MS = 120_000;

  /** How long a child writes after opening, at most, before it is killed. */
  private static final int WRITE_WINDOW_MS = 1500;

  private final Path dir;
  private final long seed;
  private final Options options;
  private final PrintStream log;
  private final Random random;
  private final ExpectedHistory expected = new ExpectedHistory();
  private final StoreChecker checker;
  private final Path childLog;
  private long startupMs = 1500;
  private final long started = System.nanoTime();

  /** {@code dir} is the store (created by the first child); {@code log} gets a line per kill. */
  public CrashHarness(Path dir, long seed, Options options, PrintStream log) {
    this.dir = dir.toAbsolutePath();
    this.seed = seed;
    this.options = options;
    this.log = log;
    this.random = new Random(seed);
    this.checker = new StoreChecker(this.dir, expected, new Random(seed ^ 0x5DEECE66DL));
    this.childLog = this.dir.resolveSibling(this.dir.getFileName() + ".children.log");
  }

  public Tally run() throws IOException, InterruptedException {
    int killsWhileOpening = 0;
    int checks = 0;
    int versionsChecked = 0;
    int damages = 0;
    int rebuilds = 0;
    List<String> failures = new ArrayList<>();
    int k = 1;
    for (; k <= options.kills() && failures.isEmpty(); k++) {
      String where =
          String.format(
              Locale.ROOT, "%s kill %d/%d (seed %d)", dir.getFileName(), k, options.kills(), seed);
      if (options.damage() && random.nextInt(100) < 30) {
        String d = damage();
        damages += d == null ? 0 : 1;
        log.println(
            stamp()
                + where
                + ": before the child, index "
                + (d == null ? "not damaged (no files yet)" : d));
      }
      Kill kill = runAndKill("r" + k, where);
      killsWhileOpening += kill.beforeReady ? 1 : 0;
      for (String line : kill.lines) {
        expected.accept(line, where);
      }
      failures.addAll(kill.problems);
      failures.addAll(expected.takeProblems());
      log.println(
          stamp()
              + where
              + ": killed "
              + (kill.beforeReady
                  ? "while opening"
                  : "after " + kill.afterReadyMs + " ms of writes")
              + ", printed up to version "
              + expected.latest()
              + (expected.inDoubt() ? " (one in flight)" : ""));
      boolean last = k == options.kills();
      if (failures.isEmpty() && (last || random.nextBoolean())) {
        String damage = "";
        if (options.damage() && random.nextInt(100) < 60) {
          String d = damage();
          damages += d == null ? 0 : 1;
          damage = d == null ? "" : ", index " + d;
        }
        long t = System.nanoTime();
        StoreChecker.Result r = checker.check(where);
        long checkMs = (System.nanoTime() - t) / 1_000_000;
        checks++;
        versionsChecked += r.versionsChecked();
        rebuilds += r.rebuilt() ? 1 : 0;
        failures.addAll(r.problems());
        log.println(
            stamp()
                + where
                + ": checked at version "
                + r.latest()
                + " in "
                + checkMs
                + " ms"
                + damage
                + (r.rebuilt() ? ", index rebuilt" : "")
                + (r.problems().isEmpty() ? ": ok" : ": " + r.problems().size() + " problem(s)"));
      }
    }
    if (!failures.isEmpty()) {
      failures.add(
          dir.getFileName()
              + ": stopped after kill "
              + (k - 1)
              + " (store seed "
              + seed
              + "); children's stderr in "
              + childLog
              + "; last versions "
              + expected.tail());
    }
    return new Tally(
        1,
        failures.isEmpty() ? 0 : 1,
        k - 1,
        killsWhileOpening,
        expected.adoptedInFlight(),
        expected.droppedInFlight(),
        checks,
        (int) expected.latest(),
        versionsChecked,
        damages,
        rebuilds,
        failures);
  }

  private String stamp() {
    return String.format(Locale.ROOT, "%7.1fs ", (System.nanoTime() - started) / 1e9);
  }

  /** Damages the index at random; returns what was done, or null if it had no files yet. */
  private String damage() {
    IndexDamage d = IndexDamage.values()[random.nextInt(IndexDamage.values().length)];
    return d.apply(dir.resolve("index"), random);
  }

  private record Kill(
      List<String> lines, boolean beforeReady, long afterReadyMs, List<String> problems) {}

  private Kill runAndKill(String run, String where) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(CHILD_JVM_FLAGS);
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            CrashChild.class.getName(),
            dir.toString(),
            Long.toString(random.nextLong()),
            run));
    Files.writeString(
        childLog,
        "---- " + where + "\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    Process p = new ProcessBuilder(cmd).redirectError(Redirect.appendTo(childLog.toFile())).start();
    long started = System.nanoTime();
    Lines lines = new Lines(p.getInputStream());
    // One kill in five lands before the child has opened the store: in H2's recovery, the
    // index catch-up or rebuild, or the layer's creation.
    boolean early = random.nextInt(100) < 20;
    long afterReady = 0;
    List<String> problems = new ArrayList<>();
    if (early) {
      Thread.sleep(random.nextLong(Math.max(1, startupMs)));
    } else {
      long readyAt = lines.awaitReady(READY_TIMEOUT_MS);
      if (readyAt < 0) {
        problems.add(
            where
                + ": child did not open the store within "
                + READY_TIMEOUT_MS
                + " ms (alive: "
                + p.isAlive()
                + "); see "
                + childLog);
      } else {
        startupMs = (readyAt - started) / 1_000_000;
        afterReady = random.nextInt(WRITE_WINDOW_MS);
        Thread.sleep(afterReady);
      }
    }
    boolean wasAlive = p.isAlive();
    // The handle's destroyForcibly sends SIGKILL and nothing else. Process.destroyForcibly would
    // also close our end of the child's stdout, dropping the lines still in the pipe: exactly
    // the last ones the child printed before dying, the ones that matter most here.
    p.toHandle().destroyForcibly();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      problems.add(where + ": child still alive 60 s after SIGKILL");
    } else if (wasAlive && p.exitValue() != SIGKILL_STATUS) {
      problems.add(
          where
              + ": child ended with status "
              + p.exitValue()
              + ", not "
              + SIGKILL_STATUS
              + " (SIGKILL)");
    } else if (!wasAlive) {
      problems.add(
          where
              + ": child ended by itself with status "
              + p.exitValue()
              + " before the kill; see "
              + childLog);
    }
    lines.join();
    return new Kill(lines.all(), early && lines.readyAt() < 0, afterReady, problems);
  }

  /** Reads a child's stdout on its own thread (a pipe left unread would stall the child). */
  private static final class Lines extends Thread {
    private final InputStream in;
    private final List<String> lines = new ArrayList<>();
    private long readyAt = -1;

    Lines(InputStream in) {
      super("crash-child-stdout");
      this.in = in;
      setDaemon(true);
      start();
    }

    @Override
    public void run() {
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (this) {
            if (line.startsWith("READY") && readyAt < 0) {
              readyAt = System.nanoTime();
            }
            lines.add(line);
            notifyAll();
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("reading the child's output", e);
      } finally {
        synchronized (this) {
          notifyAll();
        }
      }
    }

    /** Waits for READY; returns its System.nanoTime, or -1 if the output ended or time ran out. */
    synchronized long awaitReady(long timeoutMs) throws InterruptedException {
      long end = System.currentTimeMillis() + timeoutMs;
      while (readyAt < 0 && isAlive()) {
        long left = end - System.currentTimeMillis();
        if (left <= 0) {
          break;
        }
        wait(left);
      }
      return readyAt;
    }

    synchronized long readyAt() {
      return readyAt;
    }

    synchronized List<String> all() {
      return List.copyOf(lines);
    }
  }
}
