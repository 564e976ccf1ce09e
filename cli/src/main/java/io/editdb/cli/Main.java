package io.editdb.cli;

import java.util.Arrays;

/**
 * The runnable jar's entry point: the commands a user of EditDB runs. Benchmarks live in their own
 * jar ({@code editdb-bench.jar}, run by {@code ./editdb bench}) and are never shipped in this one.
 *
 * <pre>
 * editdb demo [--dir ./editdb-demo] [--data vqa_eval.json] [--edits 36]
 * editdb shell [jdbc-url] [user] [password]
 * editdb host train|keys [options]
 * editdb help | --help | --version
 * </pre>
 */
public final class Main {
  private Main() {}

  /**
   * Lucene announces on java.util.logging, at INFO, whether its vector code uses SIMD: a note for
   * its developers, not a user of the command line. Held here so the setting is not collected.
   */
  private static final java.util.logging.Logger LUCENE_VECTORS =
      java.util.logging.Logger.getLogger("org.apache.lucene.internal.vectorization");

  static final String USAGE =
      """
      EditDB: a database of model edits (LiveEdit-style low-rank experts).

      usage: editdb <command> [options]      (editdb <command> --help for its options)
        demo    build a store in ./editdb-demo from real edit requests, route, roll back,
                time travel and audit it, and edit EditDB's own host model
        shell   interactive SQL shell (sqlline) on a JDBC URL, default
                jdbc:editdb:./editdb-demo; EditDB's statements work in it
        host    host train | host keys: train EditDB's own host model, its key heads
        bench   benchmarks (from a source checkout: ./editdb bench --help)
        help    this text; --version prints EditDB's version

      Any command takes --verbose: stack traces of errors, which are one line otherwise.""";

  static final String HOST_USAGE =
      """
      editdb host train [options]   train EditDB's own host model (host train --help)
      editdb host keys [options]    train its key heads (host keys --help)""";

  public static void main(String[] args) {
    LUCENE_VECTORS.setLevel(java.util.logging.Level.WARNING);
    boolean verbose = Arrays.asList(args).contains("--verbose");
    String[] rest = Arrays.stream(args).filter(a -> !a.equals("--verbose")).toArray(String[]::new);
    int code;
    try {
      code = run(rest);
    } catch (Exception e) {
      // One line on a normal run; the stack trace is for --verbose.
      System.err.println("editdb: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      if (verbose) {
        e.printStackTrace();
      } else {
        System.err.println("editdb: run again with --verbose for the stack trace");
      }
      code = 1;
    }
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs one command; returns the process's exit status (0 done, 2 a usage error). */
  static int run(String[] args) throws Exception {
    if (args.length == 0 || isHelp(args[0]) || args[0].equals("help")) {
      System.out.println(USAGE);
      return 0;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "demo" -> Demo.main(rest);
      case "shell" -> {
        return Shell.run(rest);
      }
      case "host" -> {
        return host(rest);
      }
      case "--version", "version" -> System.out.println("EditDB " + version());
      case "bench" -> {
        System.err.println(
            "editdb: benchmarks are not part of this jar; from a source checkout run ./editdb"
                + " bench --help");
        return 2;
      }
      default -> {
        System.err.println(
            "editdb: unknown command '"
                + args[0]
                + "'; the commands are demo, shell, host, bench and help (editdb --help)");
        return 2;
      }
    }
    return 0;
  }

  static boolean isHelp(String arg) {
    return arg.equals("--help") || arg.equals("-h");
  }

  /** EditDB's version, from the jar's manifest (a build from the classes directory has none). */
  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "(development build)" : v;
  }

  private static int host(String[] args) throws Exception {
    String sub = args.length == 0 ? "" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    boolean help = Arrays.stream(rest).anyMatch(Main::isHelp);
    switch (sub) {
      case "train" -> {
        if (help) {
          System.out.println(
              """
              editdb host train [--steps 9000] [--batch 128] [--lr 0.003] [--seed 14]
                                [--minutes 19] [--eval 2000]
                                [--out model/src/main/resources/io/editdb/model]
                  trains EditDB's own host model on the train split of the drawn scenes and
                  writes host-v1.params and host-v1.json (seed, command, data version, accuracy)""");
        } else {
          io.editdb.model.HostTrainer.main(rest);
        }
      }
      case "keys" -> {
        if (help) {
          System.out.println(
              """
              editdb host keys [--steps 3000] [--minutes 6] [--seed 1]
                               [--out model/src/main/resources/io/editdb/model]
                  trains the shipped host's visual and question key heads (contrastive, train
                  split) and writes host-v1.params with them and key-heads-v1.json""");
        } else {
          io.editdb.model.KeyHeads.main(rest);
        }
      }
      default -> {
        System.out.println(HOST_USAGE);
        return sub.isEmpty() || isHelp(sub) ? 0 : 2;
      }
    }
    return 0;
  }
}
