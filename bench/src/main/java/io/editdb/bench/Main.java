package io.editdb.bench;

import java.util.Arrays;

/**
 * The benchmark jar's entry point, run by {@code ./editdb bench [which] [args]}: the benchmarks
 * behind the README's figures. Nothing here ships in the user's jar ({@code io.editdb.cli}).
 *
 * <pre>
 * ./editdb bench [lifelong options] | bench store|routing|knn|sql|nodes|fused|crash|answers|attribution
 *     |visedit [args]
 * </pre>
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    bench(args);
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
          "peer",
              "editdb bench peer [SIZES] [QUERIES] [EFS] [EDITDB_EFS] [one]\n"
                  + "    EditDB's router vs FAISS IndexHNSWFlat (M 16, efConstruction 200, one"
                  + " thread) on the same keys, same run; positional, e.g. bench peer 100000 1000"
                  + " 48,96 48 (the defaults: FAISS's efSearch values, then EditDB's); FAISS from"
                  + " a venv under target/; 'one' also times the store merged into one segment",
          "sql",
              "editdb bench sql [EDITS] [QUERIES] [FIRST] [INSERTS]\n"
                  + "    SQL ROUTE vs Java Router.route (settled, and the first queries after a bulk"
                  + " load), JDBC batch inserts vs the store's insert; positional, e.g. bench sql"
                  + " 20000 2000 200 10000 (the defaults)",
          "nodes",
              "editdb bench nodes [EDITS] [COMMITS]\n"
                  + "    a store on PostgreSQL (a throw-away cluster it starts) against an H2"
                  + " directory store, and nodes of it in this JVM: inserts and commit latency,"
                  + " commit-to-route delay between nodes, routing on a node, rebuild and catch-up"
                  + " of a node; positional, e.g. bench nodes 20000 300 (the defaults); needs"
                  + " PostgreSQL's initdb and pg_ctl (Debian: apt-get install postgresql)",
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
      case "sql" -> SqlBench.main(rest);
      case "peer" -> PeerBench.main(rest);
      case "nodes" -> NodesBench.main(rest);
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
          editdb bench sql [edits=20000] [queries=2000] [first=200] [inserts=10000]
                                                      SQL ROUTE and JDBC batch inserts vs Java
          editdb bench peer [sizes=100000] [queries=1000] [efs=48,96] [editdb_efs=48] [one]
                                                      EditDB vs FAISS HNSW on the same keys
          editdb bench nodes [edits=20000] [commits=300]
                                                      PostgreSQL store vs H2, nodes in one JVM
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
}
