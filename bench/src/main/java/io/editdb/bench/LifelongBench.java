package io.editdb.bench;

import io.editdb.bench.lifelong.Charts;
import io.editdb.bench.lifelong.Csv;
import io.editdb.bench.lifelong.LayerConfig;
import io.editdb.bench.lifelong.Metric;
import io.editdb.bench.lifelong.Report;
import io.editdb.bench.lifelong.SequentialRun;
import io.editdb.bench.lifelong.SequentialRun.Row;
import io.editdb.bench.lifelong.Setting;
import io.editdb.bench.lifelong.Sweep;
import io.editdb.bench.lifelong.Sweep.Scored;
import io.editdb.bench.lifelong.TextKeys;
import io.editdb.cli.Dataset;
import io.editdb.cli.DirTrees;
import io.editdb.cli.EditCase;
import io.editdb.cli.VisualKeys;
import io.editdb.query.TextEncoder;
import io.editdb.store.StoreConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The ROUTING-LEVEL lifelong benchmark (issue 5) on real edit requests, an UPPER BOUND on edit
 * success: it measures whether the right expert is routed, not whether a model's answer changes (no
 * model reads these images; {@code ./editdb bench answers} measures answers). Edits from an E-VQA /
 * E-IC file go into the store one by one; after 1, 10, 100, 1,000 and all edits the router is
 * probed for reliability (Rel), text and visual generality (T-Gen, M-Gen) and text and multimodal
 * locality (T-Loc, M-Loc), with its latency; for both gate modes, both router implementations, and
 * a visual and a text-only layer.
 *
 * <p>The records are split by position: every fifth (index 0, 5, 10, ...) is validation, on which
 * alone the sweep chooses the routing parameters; the rest is the test split, the only one the
 * lifelong run reports. Text keys come from the built-in encoder on the records' own texts (T-Gen
 * the {@code rephrase}, M-Loc {@code m_loc_q}, T-Loc {@code loc}); visual keys are derived from
 * image paths (the images are not shipped, see {@link VisualKeys}), so M-Gen's image rephrase is
 * synthetic noise around its image's key; T-Loc on a visual layer is searched with a "no image"
 * key, so it can fail. The answers of the records ({@code pred}, {@code alt}, {@code loc_ans},
 * {@code m_loc_a}) are not read: with no model to answer, routing is all this can measure.
 *
 * <pre>java ... io.editdb.bench.LifelongBench [--data FILE] [--limit N] [--out DIR] [--quick]</pre>
 */
public final class LifelongBench {
  private static final String DEFAULT_DATA = "../shared/data/evqa/vqa_eval.json";

  /** Every this-many-th record (from index 0) is validation; the rest is the test split. */
  static final int VALIDATION_EVERY = 5;

  private LifelongBench() {}

  /** Command-line options. */
  record Options(
      Path data,
      int limit,
      Path out,
      boolean quick,
      int sample,
      int sweepEdits,
      int commitEvery,
      double rephraseCos,
      long seed) {}

  public static void main(String[] args) throws IOException {
    try {
      Options o = parse(args);
      if (o != null) { // null: --help was printed
        run(o);
      }
    } catch (IllegalArgumentException e) {
      // bad options or a bad data file: say what is wrong, not a stack trace
      System.err.println("LifelongBench: " + e.getMessage());
      System.err.println("Run with --help for the options.");
      System.exit(2);
    }
  }

  static void run(Options o) throws IOException {
    long start = System.nanoTime();
    Report out = new Report();
    List<EditCase> records = Dataset.load(o.data(), o.limit());
    if (records.size() < 2) {
      throw new IllegalArgumentException(
          o.data()
              + " holds "
              + records.size()
              + " records; the"
              + " benchmark needs at least 2 (one to tune on, one to report)");
    }
    List<EditCase> validation = new ArrayList<>();
    List<EditCase> cases = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      (i % VALIDATION_EVERY == 0 ? validation : cases).add(records.get(i));
    }
    String dataset = o.data().getFileName().toString();
    VisualKeys visual = new VisualKeys(o.rephraseCos());
    out.line("EditDB lifelong-editing benchmark, ROUTING LEVEL%s", o.quick() ? " (--quick)" : "");
    out.line(
        "ROUTING ONLY: an UPPER BOUND on edit success. It measures whether the right expert is"
            + " routed, not whether an answer changes (no model reads these images; the answers pred,"
            + " alt, loc_ans, m_loc_a are not read). Answers: ./editdb bench answers.");
    out.line(
        "data: %s, %d records in file order%s: every %dth (index 0, %d, ...) is validation"
            + " (%d records, the sweep tunes on them only), the other %d the test split (the only"
            + " one reported below)",
        o.data(),
        records.size(),
        o.limit() > 0 ? " (--limit " + o.limit() + ")" : "",
        VALIDATION_EVERY,
        VALIDATION_EVERY,
        validation.size(),
        cases.size());
    out.line(
        "NOTE: %s (expected cosine %.2f with its image's key).",
        VisualKeys.DESCRIPTION, visual.rephraseCosine());
    out.line(
        "      Unrelated images are therefore near-orthogonal, which makes the visual filter"
            + " easier than with real image embeddings.");
    out.line(
        "text keys: %s from the real texts (src for edits; src, rephrase, m_loc_q, loc for"
            + " probes); experts: rank 1, d_in = d_out = %d (weights play no part in routing)",
        TextEncoder.MODEL_NAME, Setting.D);
    out.line(
        "machine: %d cores, Java %s",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    Files.createDirectories(o.out());

    long t0 = System.nanoTime();
    TextKeys text = TextKeys.encode(TextEncoder.shared(), records);
    double encodeS = (System.nanoTime() - t0) / 1e9;
    out.line("encoded %d distinct texts in %.1f s", text.size(), encodeS);

    // ---- sweep ----
    t0 = System.nanoTime();
    List<EditCase> subset = validation.subList(0, Math.min(o.sweepEdits(), validation.size()));
    Sweep.Grid grid = o.quick() ? Sweep.Grid.quick() : Sweep.Grid.full();
    Sweep.Result sweep = new Sweep(subset, visual, text, grid).run();
    double sweepS = (System.nanoTime() - t0) / 1e9;
    printSweep(out, sweep, sweepS);

    // ---- sequential run with the chosen settings ----
    Map<LayerConfig, Setting> chosen = new LinkedHashMap<>();
    sweep.best().forEach((cfg, s) -> chosen.put(cfg, s.setting()));
    Path storeDir = o.out().resolve("store");
    DirTrees.delete(storeDir);
    t0 = System.nanoTime();
    SequentialRun runner =
        new SequentialRun(cases, chosen, visual, text, o.sample(), o.commitEvery(), o.seed())
            .withFinalSweep(grid);
    List<Row> rows = runner.run(StoreConfig.directory(storeDir));
    double runS = (System.nanoTime() - t0) / 1e9;
    out.line("");
    out.line(
        "== Lifelong run, ROUTING LEVEL (an upper bound on edit success), test split: %s,"
            + " %d edits, checkpoints %s, store on disk at %s ==",
        dataset, cases.size(), SequentialRun.checkpoints(cases.size()), storeDir);
    out.line(runner.insertSummary() + ".");
    out.line(
        "At each checkpoint a seeded sample of at most %d of the edits inserted so far is"
            + " probed (all of them up to %d); rates are fractions of that sample.",
        o.sample(), o.sample());
    out.line(
        "Latency: wall time of Router.route per probe query, after at least %d untimed"
            + " routes and %.1f s at each checkpoint, each probe timed repeatedly at small"
            + " checkpoints so that every percentile rests on at least %d timings (every probe"
            + " searches, T-Loc on a visual layer with the no-image key); =EXACT: share of probes where"
            + " HNSW routed exactly as EXACT; load: the machine's 1-minute load average then (%d"
            + " cores; other processes inflate the p99).",
        SequentialRun.WARMUP_ROUTES,
        SequentialRun.WARMUP_NANOS / 1e9,
        SequentialRun.MIN_TIMINGS,
        Runtime.getRuntime().availableProcessors());
    printRows(out, rows);
    printFinalSweep(out, runner.finalSweep(), chosen);
    printDefaults(out, sweep);

    Csv.results(o.out().resolve("results.csv"), dataset, rows);
    Csv.sweep(o.out().resolve("sweep.csv"), dataset, List.of(sweep, runner.finalSweep()), chosen);
    String note =
        "Routing only: an upper bound on edit success. Visual keys derived from image"
            + " paths, not pixels (images not shipped); text keys "
            + TextEncoder.MODEL_NAME
            + ". "
            + dataset
            + " test split, "
            + cases.size()
            + " edits.";
    Charts.metrics(
        o.out().resolve("metrics.png"),
        rows,
        "Lifelong editing, routing level:"
            + " right expert routed vs edits inserted, per layer, gate mode and router",
        note,
        cases.size());
    Charts.latency(
        o.out().resolve("latency.png"),
        rows,
        "Lifelong editing: routing latency vs" + " edits inserted",
        "Shared "
            + Runtime.getRuntime().availableProcessors()
            + "-core"
            + " machine: p99 includes other processes (load average per row in results.csv). "
            + dataset
            + ", "
            + cases.size()
            + " edits.",
        cases.size());
    double totalS = (System.nanoTime() - start) / 1e9;
    out.line("");
    out.line(
        "time: encoding %.1f s, sweep %.1f s, lifelong run %.1f s, total %.1f s",
        encodeS, sweepS, runS, totalS);
    out.line(
        "wrote %s: results.csv, sweep.csv, metrics.png, latency.png, summary.txt",
        o.out().toAbsolutePath().normalize());
    Files.writeString(o.out().resolve("summary.txt"), out.text(), StandardCharsets.UTF_8);
  }

  private static void printSweep(Report out, Sweep.Result r, double seconds) {
    out.line("");
    out.line(
        "== Sweep on the first %d edits (%.1f s; one exact search per probe, each setting"
            + " re-scored from its hits) ==",
        r.edits(), seconds);
    out.line(
        "Grid: visual threshold x text_scale, and for SOFTMAX null_logit = c x text_scale"
            + " (c: the text cosine at which a lone candidate gets gate 1/2). Temperature fixed at 1:"
            + " it only rescales text_scale and null_logit. On text-only layers the threshold applies"
            + " to the text cosine. Best = highest mean of the metrics (Rel, T-Gen, M-Gen, M-Loc,"
            + " T-Loc; M-Gen n/a on text-only); among equal means the one closest to the current"
            + " defaults, then the one whose grid neighbours score best.");
    for (Map.Entry<LayerConfig, List<Scored>> e : r.all().entrySet()) {
      List<Scored> all = e.getValue();
      out.line("");
      out.line("%s: %d settings", e.getKey().label(), all.size());
      out.line(
          "  %-22s %-62s %5s %5s %5s %5s %5s  %5s",
          "", "setting", "Rel", "T-Gen", "M-Gen", "M-Loc", "T-Loc", "mean");
      scoredLine(out, "best (chosen)", r.best().get(e.getKey()));
      List<Scored> ranked = new ArrayList<>(all);
      ranked.sort(Sweep.RANKING);
      for (int i = 1; i < Math.min(4, ranked.size()); i++) {
        scoredLine(out, "#" + (i + 1), ranked.get(i));
      }
      scoredLine(
          out,
          "best generality",
          bestBy(all, s -> avg(s.rates(), Metric.REL, Metric.T_GEN, Metric.M_GEN)));
      scoredLine(
          out, "best locality", bestBy(all, s -> avg(s.rates(), Metric.M_LOC, Metric.T_LOC)));
      scoredLine(out, "current default", r.defaults().get(e.getKey()));
      out.line("  %s", plateau(all, r.best().get(e.getKey())));
    }
    out.line("");
    out.line(r.check());
  }

  /** Which thresholds tie with the chosen one, and whether the text scale is at the grid edge. */
  private static String plateau(List<Scored> all, Scored best) {
    double lo = Double.MAX_VALUE;
    double hi = -Double.MAX_VALUE;
    double maxScale = 0;
    for (Scored s : all) {
      maxScale = Math.max(maxScale, s.setting().textScale());
      if (s.setting().textScale() == best.setting().textScale()
          && s.setting().nullLogit() == best.setting().nullLogit()
          && Math.abs(s.mean() - best.mean()) < 1e-9) {
        lo = Math.min(lo, s.setting().visualThreshold());
        hi = Math.max(hi, s.setting().visualThreshold());
      }
    }
    String s =
        lo == hi
            ? String.format(Locale.ROOT, "no other threshold of the grid" + " ties with %.2f", lo)
            : String.format(
                Locale.ROOT,
                "every threshold of the"
                    + " grid from %.2f to %.2f ties with the chosen one (the data cannot pick among them)",
                lo,
                hi);
    return best.setting().textScale() == maxScale
        ? s + "; text_scale is at the top of the grid"
        : s;
  }

  private static Scored bestBy(List<Scored> all, ToDoubleFunction<Scored> f) {
    // the objective first, then the overall ranking: the best of that kind that gives up least
    return all.stream()
        .min(
            Comparator.comparingDouble((Scored s) -> -f.applyAsDouble(s))
                .thenComparing(Sweep.RANKING))
        .orElseThrow();
  }

  private static double avg(double[] rates, Metric... ms) {
    double s = 0;
    int n = 0;
    for (Metric m : ms) {
      if (!Double.isNaN(rates[m.ordinal()])) {
        s += rates[m.ordinal()];
        n++;
      }
    }
    return n == 0 ? 0 : s / n;
  }

  private static void scoredLine(Report out, String what, Scored s) {
    scoredLine(out, what, s, 22);
  }

  private static void scoredLine(Report out, String what, Scored s, int width) {
    double[] r = s.rates();
    out.line(
        "  %-" + width + "s %-62s %5s %5s %5s %5s %5s  %5s",
        what,
        s.setting().label(),
        pct(r[0]),
        pct(r[1]),
        pct(r[2]),
        pct(r[3]),
        pct(r[4]),
        pct(s.mean()));
  }

  private static void printRows(Report out, List<Row> rows) {
    String f =
        "| %-9s | %-8s | %-5s | %5s | %5s | %5s | %5s | %5s | %5s | %5s | %7s | %7s |"
            + " %6s | %4s |";
    out.line(
        f, "layer", "gate", "route", "edits", "Rel", "T-Gen", "M-Gen", "M-Loc", "T-Loc", "mean",
        "med ms", "p99 ms", "=EXACT", "load");
    out.line("|%s|", "-".repeat(120));
    LayerConfig last = null;
    for (LayerConfig cfg : LayerConfig.all()) {
      for (var router : SequentialRun.ROUTERS) {
        for (Row r : rows) {
          if (!r.config().equals(cfg) || r.router() != router) {
            continue;
          }
          if (last != null && !last.equals(cfg)) {
            out.line("|%s|", "-".repeat(120));
          }
          last = cfg;
          double[] m = r.rates();
          out.line(
              f,
              cfg.kind().label(),
              cfg.gate().name(),
              router.name(),
              r.edits(),
              pct(m[0]),
              pct(m[1]),
              pct(m[2]),
              pct(m[3]),
              pct(m[4]),
              pct(r.mean()),
              ms(r.medianMs()),
              ms(r.p99Ms()),
              Double.isNaN(r.sameAsExact()) ? "" : pct(r.sameAsExact()),
              r.loadAverage() < 0 ? "?" : String.format(Locale.ROOT, "%.1f", r.loadAverage()));
        }
      }
    }
  }

  /** The grid re-scored at the final checkpoint: does the early choice still hold? */
  private static void printFinalSweep(
      Report out, Sweep.Result r, Map<LayerConfig, Setting> chosen) {
    out.line("");
    out.line(
        "== For information only (test split, not used to choose anything): the same grid"
            + " re-scored at %d edits, on the final checkpoint's sample of %d ==",
        r.edits(), r.probed());
    out.line(
        "  %-31s %-62s %5s %5s %5s %5s %5s  %5s",
        "", "setting", "Rel", "T-Gen", "M-Gen", "M-Loc", "T-Loc", "mean");
    for (LayerConfig cfg : r.all().keySet()) {
      List<Scored> all = r.all().get(cfg);
      out.line("  %s", cfg.label());
      scoredLine(out, "  chosen on the first edits", Sweep.find(r, cfg, chosen.get(cfg)), 31);
      scoredLine(out, "  best at " + r.edits(), r.best().get(cfg), 31);
      scoredLine(
          out,
          "  best generality at " + r.edits(),
          bestBy(all, s -> avg(s.rates(), Metric.REL, Metric.T_GEN, Metric.M_GEN)),
          31);
      scoredLine(
          out,
          "  best locality at " + r.edits(),
          bestBy(all, s -> avg(s.rates(), Metric.M_LOC, Metric.T_LOC)),
          31);
      scoredLine(out, "  current default", r.defaults().get(cfg), 31);
    }
  }

  private static void printDefaults(Report out, Sweep.Result r) {
    out.line("");
    out.line(
        "Settings chosen on the first %d validation edits and used above (other parameters at their"
            + " defaults: max_candidates 16, min_gate 0.01, top_k 4, COSINE):",
        r.edits());
    for (Map.Entry<LayerConfig, Scored> e : r.best().entrySet()) {
      out.line("  %-20s %s", e.getKey().label(), e.getValue().setting().label());
    }
  }

  private static String pct(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String ms(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  // ---- options ----

  static Options parse(String[] args) {
    String data = null;
    int limit = -1;
    Path out = Path.of("target/lifelong");
    boolean quick = false;
    Integer sample = null;
    Integer sweepEdits = null;
    int commitEvery = 1;
    double rephraseCos = 0.9;
    long seed = 7;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--help", "-h" -> {
          System.out.println(HELP);
          return null;
        }
        case "--quick" -> quick = true;
        case "--data" -> data = value(args, ++i, a);
        case "--limit" -> limit = intValue(args, ++i, a, 1);
        case "--out" -> out = Path.of(value(args, ++i, a));
        case "--sample" -> sample = intValue(args, ++i, a, 1);
        case "--sweep-edits" -> sweepEdits = intValue(args, ++i, a, 1);
        case "--commit-every" -> commitEvery = intValue(args, ++i, a, 1);
        case "--rephrase-cos" -> {
          rephraseCos = Double.parseDouble(value(args, ++i, a));
          if (!(rephraseCos > 0 && rephraseCos <= 1)) {
            throw new IllegalArgumentException(
                "--rephrase-cos must be in (0, 1]; got " + rephraseCos);
          }
        }
        case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
    }
    // --quick: fewer edits, a coarser grid on fewer edits, smaller samples (about a minute).
    if (quick && limit < 0) {
      limit = 500;
    }
    return new Options(
        resolveData(data),
        limit,
        out,
        quick,
        sample != null ? sample : quick ? 100 : 300,
        sweepEdits != null ? sweepEdits : quick ? 150 : 300,
        commitEvery,
        rephraseCos,
        seed);
  }

  /**
   * The data file: as given (relative to the working folder or, failing that, to one of its
   * parents), else under the shared folder named by -Deditdb.shared.
   */
  static Path resolveData(String arg) {
    String given = arg == null ? DEFAULT_DATA : arg;
    Path p = Path.of(given);
    if (Files.isRegularFile(p)) {
      return p;
    }
    List<Path> tried = new ArrayList<>(List.of(p.toAbsolutePath().normalize()));
    if (!p.isAbsolute()) {
      // Run from a module folder (bench/), ../shared is one level further up.
      for (Path dir = Path.of("").toAbsolutePath().getParent();
          dir != null;
          dir = dir.getParent()) {
        Path q = dir.resolve(p).normalize();
        if (Files.isRegularFile(q)) {
          return q;
        }
      }
    }
    String shared = System.getProperty("editdb.shared");
    if (shared != null && !p.isAbsolute()) {
      String rel =
          given.startsWith("../shared/")
              ? given.substring("../shared/".length())
              : "data/evqa/" + p.getFileName();
      Path q = Path.of(shared).resolve(rel);
      if (Files.isRegularFile(q)) {
        return q;
      }
      tried.add(q.toAbsolutePath().normalize());
    }
    throw new IllegalArgumentException(
        "data file not found; tried "
            + tried
            + ". Pass --data"
            + " with the path of vqa_eval.json or caption_eval_edit.json, or set -Deditdb.shared to"
            + " the shared folder");
  }

  private static String value(String[] args, int i, String opt) {
    if (i >= args.length) {
      throw new IllegalArgumentException(opt + " needs a value");
    }
    return args[i];
  }

  private static int intValue(String[] args, int i, String opt, int min) {
    String v = value(args, i, opt);
    try {
      int n = Integer.parseInt(v);
      if (n < min) {
        throw new IllegalArgumentException(opt + " must be at least " + min + "; got " + v);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(opt + " needs a whole number; got " + v);
    }
  }

  private static final String HELP =
      """
      LifelongBench: the ROUTING-LEVEL lifelong-editing benchmark on real edit requests
      (issue 5): an UPPER BOUND on edit success. It measures whether the right expert is
      routed, not whether a model's answer changes (./editdb bench answers does that).

      Inserts the edits of an E-VQA / E-IC file one by one; after 1, 10, 100, 1,000 and all
      edits it measures Rel, T-Gen, M-Gen, M-Loc, T-Loc and routing latency for both gate
      modes (LIVEEDIT, SOFTMAX), both routers (EXACT, HNSW), on a visual and a text-only layer.
      Every fifth record is validation: the sweep chooses routing parameters on it alone; the
      other records are the test split, the only one reported.
      Visual keys are DERIVED FROM IMAGE PATHS (images are not shipped), not from pixels.

      Options:
        --data FILE         E-VQA/E-IC JSON (default ../shared/data/evqa/vqa_eval.json, else
                            under -Deditdb.shared)
        --limit N           use the first N records (default all; 500 with --quick)
        --out DIR           output folder (default target/lifelong): results.csv, sweep.csv,
                            metrics.png, latency.png, summary.txt, store/
        --quick             coarse sweep on 150 edits, samples of 100, 500 records
        --sample N          probed edits per checkpoint, seeded sample (default 300)
        --sweep-edits N     validation edits the sweep runs on (default 300)
        --commit-every N    edits per commit after the first 100 (default 1)
        --rephrase-cos X    expected cosine of an image_rephrase key with its image (default 0.9)
        --seed N            seed of the checkpoint samples (default 7)
        --help              this text
      """;
}
