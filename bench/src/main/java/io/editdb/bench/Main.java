package io.editdb.bench;

import java.util.Arrays;

/**
 * The runnable jar's entry point: {@code demo}, {@code shell}, {@code bench}, {@code host}.
 *
 * <pre>
 * ./editdb demo [--dir ./editdb-demo] [--data vqa_eval.json] [--edits 36]
 * ./editdb shell [jdbc-url] [user]
 * ./editdb bench [lifelong options] | bench store|routing|knn|fused|crash|answers|attribution|visedit
 *     [args]
 * ./editdb host train [--minutes 19] [--out dir]
 * ./editdb host keys [--minutes 6] [--out dir]
 * </pre>
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      usage();
      return;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "demo" -> Demo.main(rest);
      case "shell" -> Shell.main(rest);
      case "bench" -> bench(rest);
      case "host" -> host(rest);
      case "help" -> usage();
      default -> {
        System.err.println(
            "editdb: unknown command '"
                + args[0]
                + "'; use demo, shell, bench or"
                + " host (--help on each)");
        System.exit(2);
      }
    }
  }

  /** Usage of the bench subcommands without a --help of their own. */
  static final java.util.Map<String, String> BENCH_USAGE =
      java.util.Map.of(
          "store",
              "editdb bench store [EDITS] [DIR]\n"
                  + "    insert, commit latency, open vs rebuild; positional, e.g. bench store"
                  + " 100000 target/storebench (the defaults)",
          "routing",
              "editdb bench routing [SIZES] [QUERIES] [nosettle] [keep] [hnsw=M,B]\n"
                  + "    exact scan vs HNSW: latency and recall; positional, e.g. bench routing"
                  + " 1000,4000,10000,100000 300 (the defaults)",
          "knn",
              "editdb bench knn [N] [QUERIES] [FORMATS] [BEAMS] [keep]\n"
                  + "    graph formats and beams for large layers; positional, e.g. bench knn"
                  + " 1000000 200 float,int7,bbq 48,96,145 (the defaults)",
          "fused",
              "editdb bench fused [batch=32] [experts=4] [rank=16] [d=4096] [tokens=1] [pool=0]"
                  + " [kind=LORA] [warmup=10] [iters=50] [seed=42]\n"
                  + "    fused expert application vs a per-expert loop",
          "attribution",
              "editdb bench attribution [--n 100] [--k 2] [--steps 32]"
                  + " [--out target/attribution]\n"
                  + "    where the host's answers rest: integrated gradients and noise per visual token"
                  + " and layer, against the asked object's box");

  private static void bench(String[] args) throws Exception {
    String which = args.length == 0 ? "lifelong" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    if (BENCH_USAGE.containsKey(which)
        && Arrays.stream(rest).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
      System.out.println(BENCH_USAGE.get(which));
      return;
    }
    try {
      benchCommand(which, args, rest);
    } catch (NumberFormatException e) {
      System.err.println(
          "editdb bench "
              + which
              + ": not a number: "
              + e.getMessage()
              + "; see editdb bench "
              + which
              + " --help");
      System.exit(2);
    }
  }

  private static void benchCommand(String which, String[] args, String[] rest) throws Exception {
    switch (which) {
      case "store" -> StoreBench.main(rest);
      case "routing" -> RoutingBench.main(rest);
      case "knn" -> KnnFormatBench.main(rest);
      case "fused" -> FusedApplyBench.main(rest);
      case "crash" -> io.editdb.bench.crash.CrashBench.main(rest);
      case "answers" -> io.editdb.bench.answers.AnswerBench.main(rest);
      case "attribution" -> AttributionBench.main(rest);
      case "visedit" -> io.editdb.bench.answers.VisEditBench.main(rest);
      case "--help", "-h" ->
          System.out.println(
              """
          editdb bench [--data FILE] [--limit N] [--out DIR] [--quick]
              the routing-level lifelong benchmark on E-VQA/E-IC records (an upper
              bound on edit success; default ../shared/data/evqa/vqa_eval.json); --help
          editdb bench store [edits=100000] [dir]     insert, commit latency, open vs rebuild
          editdb bench routing [sizes] [queries] [nosettle] [keep] [hnsw=M,B]
                                                      exact scan vs HNSW: latency and recall
          editdb bench knn [n] [queries] [formats] [beams] [keep]
                                                      graph formats and beams for large layers
          editdb bench fused [options]                fused expert application vs loop
          editdb bench crash [kills=300] [--seed S]   SIGKILL a writer, check what survives
          editdb bench answers [--edits 1500] [--quick]
                                                      the lifelong benchmark on the edited host
                                                      model's answers (answers --help)
          editdb bench attribution [--n 100] [--k 2] [--steps 32] [--out DIR]
                                                      where the host's answers rest (VisEdit)
          editdb bench visedit [--edits 1000] [--k 2,4,8] [--quick]
                                                      edits on attribution regions vs every
                                                      token, visual tokens, random regions""");
      case "lifelong" -> LifelongBench.main(rest);
      default -> LifelongBench.main(args);
    }
  }

  private static void host(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("train")) {
      String[] rest = Arrays.copyOfRange(args, 1, args.length);
      if (rest.length > 0 && (rest[0].equals("--help") || rest[0].equals("-h"))) {
        System.out.println(
            """
            editdb host train [--steps 9000] [--batch 128] [--lr 0.003] [--seed 14]
                              [--minutes 19] [--eval 2000]
                              [--out model/src/main/resources/io/editdb/model]
                trains EditDB's own host model on the train split of the drawn scenes and
                writes host-v1.params and host-v1.json (seed, command, data version, accuracy)""");
        return;
      }
      io.editdb.model.HostTrainer.main(rest);
      return;
    }
    if (args.length > 0 && args[0].equals("keys")) {
      String[] rest = Arrays.copyOfRange(args, 1, args.length);
      if (rest.length > 0 && (rest[0].equals("--help") || rest[0].equals("-h"))) {
        System.out.println(
            """
            editdb host keys [--steps 3000] [--minutes 6] [--seed 1]
                             [--out model/src/main/resources/io/editdb/model]
                trains the shipped host's visual and question key heads (contrastive, train
                split) and writes host-v1.params with them and key-heads-v1.json""");
        return;
      }
      io.editdb.model.KeyHeads.main(rest);
      return;
    }
    System.out.println(
        """
        editdb host train [options]   train EditDB's own host model (host train --help)
        editdb host keys [options]    train its key heads (host keys --help)""");
    if (args.length > 0 && !args[0].equals("--help") && !args[0].equals("-h")) {
      System.exit(2);
    }
  }

  private static void usage() {
    System.out.println(
        """
        EditDB: a database of model edits (LiveEdit-style low-rank experts).

        usage: editdb <command> [options]
          demo    build a store in ./editdb-demo from real edit requests, route, roll back,
                  time travel and audit it; --help for options
          shell   interactive SQL shell (sqlline) on a JDBC URL, default
                  jdbc:editdb:./editdb-demo; EditDB's statements work in it
          bench   bench answers: the lifelong benchmark on the edited host's answers;
                  bench visedit: edits acting on attribution regions (VisEdit);
                  bench lifelong (routing level), store|routing|knn|fused|crash; bench --help
          host    host train | host keys: train EditDB's own host model, its key heads
          help    this text""");
  }
}
