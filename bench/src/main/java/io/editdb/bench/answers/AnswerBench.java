package io.editdb.bench.answers;

import io.editdb.bench.answers.EditCase.Probe;
import io.editdb.bench.answers.EditCase.ProbeKind;
import io.editdb.bench.answers.Editors.Answered;
import io.editdb.bench.answers.Editors.Editor;
import io.editdb.bench.answers.Editors.StoreEditor;
import io.editdb.bench.answers.Editors.UnroutedEditor;
import io.editdb.bench.answers.Scores.Cell;
import io.editdb.cli.DirTrees;
import io.editdb.model.GeneratorExpertMaker;
import io.editdb.model.HostModel;
import io.editdb.model.LocalHosts;
import io.editdb.model.SceneHost;
import io.editdb.model.Scenes;
import io.editdb.model.Split;
import io.editdb.query.TextEncoder;
import io.editdb.store.SearchMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The lifelong benchmark on answers (issue 14): edits of drawn scenes go into EditDB one commit
 * each, and after 1, 10, 100, 1,000 and all of them the edited host model is asked the probes of
 * every edit so far. Rel, T-Gen, M-Gen, T-Loc and M-Loc (the LiveEdit paper's metrics) are answer
 * accuracy of the host, with two harder locality probes beside them (the edit's picture with
 * another question; another picture with the edit's question), each with a bootstrap 95% interval
 * and the routing-level figure (the edit's own expert routed first; nothing routed to a locality
 * probe). Settings are chosen on the validation split and reported on the test split.
 *
 * <pre>
 * ./editdb bench answers [--edits 1500] [--validation 300] [--bootstrap 1000] [--out DIR] [--quick]
 * </pre>
 */
public final class AnswerBench {
  private static final long SEED = 2026;

  /** How a run is sized. */
  record Options(
      int edits,
      int validation,
      int bootstrap,
      Path out,
      double[] thresholds,
      int fineTuneSteps,
      List<Family> families) {
    static Options parse(String[] args) {
      int edits = 1500;
      int validation = 300;
      int bootstrap = 1000;
      Path out = Paths.get("target", "answers");
      boolean quick = false;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--edits" -> edits = positive(a, args, ++i);
          case "--validation" -> validation = positive(a, args, ++i);
          case "--bootstrap" -> bootstrap = positive(a, args, ++i);
          case "--out" -> out = Paths.get(value(a, args, ++i));
          case "--quick" -> quick = true;
          default ->
              throw new IllegalArgumentException(
                  "unknown option '"
                      + a
                      + "'; use --edits N,"
                      + " --validation N, --bootstrap N, --out DIR or --quick");
        }
      }
      if (quick) {
        return new Options(
            Math.min(edits, 40),
            Math.min(validation, 30),
            Math.min(bootstrap, 200),
            out,
            new double[] {0.6, 0.8},
            30,
            AnswerBench.families());
      }
      return new Options(
          edits,
          validation,
          bootstrap,
          out,
          new double[] {0.6, 0.7, 0.8, 0.9, 0.95},
          30,
          AnswerBench.families());
    }

    private static String value(String option, String[] args, int i) {
      if (i >= args.length) {
        throw new IllegalArgumentException(option + " needs a value; e.g. " + option + " 100");
      }
      return args[i];
    }

    private static int positive(String option, String[] args, int i) {
      String v = value(option, args, i);
      try {
        int n = Integer.parseInt(v);
        if (n >= 1) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(option + " must be a whole number >= 1; got '" + v + "'");
    }

    /** 1, 10, 100, 1,000, ... below the edit count, and the edit count itself. */
    List<Integer> checkpoints() {
      List<Integer> out = new ArrayList<>();
      for (int k = 1; k < edits; k *= 10) {
        out.add(k);
      }
      out.add(edits);
      return out;
    }
  }

  /**
   * A layer's routing settings: gate mode, null logit, the hard filter's threshold, the visual
   * weight of the gate logits, and how questions are keyed (the host's own representation or the
   * built-in encoder); a text-only layer routes by the question alone.
   */
  record Setting(
      String gate,
      double nullLogit,
      double threshold,
      double visualWeight,
      boolean hostKeys,
      boolean textOnly) {

    Setting withThreshold(double t) {
      return new Setting(gate, nullLogit, t, visualWeight, hostKeys, textOnly);
    }

    int textDim(HostModel host) {
      return hostKeys ? host.questionKeyDim() : TextEncoder.DIMENSION;
    }

    String ddl(String layer, String maker, HostModel host) {
      return ddl(layer, maker, host, Editors.MODULE);
    }

    /** The layer on another module of the host. */
    String ddl(String layer, String maker, HostModel host, String module) {
      String options =
          String.format(
              Locale.ROOT,
              "EXPERT_KIND LIVEEDIT, GATE %s, NULL_LOGIT %s,"
                  + " VISUAL_THRESHOLD %s, VISUAL_WEIGHT %s, TEXT_DIM %d",
              gate,
              nullLogit,
              threshold,
              visualWeight,
              textDim(host));
      if (textOnly) {
        return "CREATE LAYER "
            + layer
            + " (MODEL '"
            + LocalHosts.SHIPPED
            + "', MODULE '"
            + module
            + "', D_IN 64, D_OUT 64, VISUAL_DIM 0, MAX_RANK 4, "
            + options
            + ")";
      }
      return "CREATE LAYER "
          + layer
          + " (HOST '"
          + LocalHosts.SHIPPED
          + "', MODULE '"
          + module
          + "', MAKER "
          + maker
          + ", "
          + options
          + ")";
    }

    String label() {
      return String.format(
          Locale.ROOT,
          "%s%s gates%s, threshold %s%s%s",
          textOnly ? "text-only, " : "",
          gate,
          gate.equals("SOFTMAX") ? " null_logit " + fmt(nullLogit) : "",
          fmt(threshold),
          visualWeight > 0 ? ", visual_weight " + fmt(visualWeight) : "",
          hostKeys ? "" : ", encoder text keys");
    }

    private static String fmt(double v) {
      return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
  }

  /** A family of settings swept together; its best on validation is run on test. */
  record Family(String method, List<Setting> settings, boolean alsoHnsw) {}

  /** The families: LiveEdit's routing as published, and what EditDB adds to it. */
  static List<Family> families() {
    List<Family> out = new ArrayList<>();
    out.add(
        new Family(
            "LiveEdit routing (LIVEEDIT gates)",
            List.of(new Setting("LIVEEDIT", 0, 0.8, 0, true, false)),
            true));
    out.add(
        new Family(
            "LiveEdit routing (LIVEEDIT gates), encoder text keys",
            List.of(new Setting("LIVEEDIT", 0, 0.8, 0, false, false)),
            false));
    List<Setting> soft = new ArrayList<>();
    List<Setting> weighted = new ArrayList<>();
    for (double nl : new double[] {12, 18, 24}) {
      soft.add(new Setting("SOFTMAX", nl, 0.8, 0, true, false));
      for (double w : new double[] {30, 100}) {
        weighted.add(new Setting("SOFTMAX", nl, 0.8, w, true, false));
      }
    }
    out.add(new Family("SOFTMAX gates", soft, false));
    out.add(new Family("SOFTMAX gates + visual weight", weighted, true));
    out.add(
        new Family(
            "text-only routing",
            List.of(
                new Setting("SOFTMAX", 12, 0.8, 0, true, true),
                new Setting("SOFTMAX", 18, 0.8, 0, true, true)),
            false));
    return out;
  }

  /** One measured line: a method after k edits. */
  record Row(
      String split,
      String method,
      String setting,
      String router,
      int edits,
      Cell[] answers,
      Cell[] routing,
      double msPerEdit,
      double msPerQuery) {}

  private final Options options;
  private final SceneHost host;
  private final GeneratorExpertMaker generator;
  private final Scenes scenes = Scenes.standard();
  private final List<Row> rows = new ArrayList<>();

  AnswerBench(Options options, SceneHost host, GeneratorExpertMaker generator) {
    this.options = options;
    this.host = host;
    this.generator = generator;
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.println(
          """
          editdb bench answers [--edits 1500] [--validation 300] [--bootstrap 1000]
                               [--out target/answers] [--quick]
              the lifelong benchmark on the answers of EditDB's own host model: sequential
              edits of drawn test scenes (one commit each), Rel, T-Gen, M-Gen, T-Loc, M-Loc with
              bootstrap 95% intervals after 1, 10, 100, 1,000 and all edits, for LiveEdit
              routing (both gate modes, exact and HNSW, generator and fit), text-only routing,
              no routing and sequential fine-tuning; settings chosen on the validation split.
              Writes results.csv, sweep.csv, results.md and answers.png to --out""");
      return;
    }
    Options o = Options.parse(args);
    try (SceneHost host = SceneHost.load();
        GeneratorExpertMaker generator = GeneratorExpertMaker.load(host)) {
      new AnswerBench(o, host, generator).run();
    }
  }

  /** Runs the sweep and the test, writes the outputs; returns the rows. */
  List<Row> run() throws Exception {
    long start = System.nanoTime();
    Files.createDirectories(options.out());
    System.out.printf(
        Locale.ROOT,
        "Answer-level lifelong benchmark: %d test edits, %d validation"
            + " edits, %s, host %s at %s%n",
        options.edits(),
        options.validation(),
        Scenes.DATA_VERSION,
        LocalHosts.SHIPPED,
        Editors.MODULE);
    List<EditCase> validation =
        EditCase.build(scenes, host, Split.VALIDATION, options.validation(), SEED);
    List<Family> families = options.families();
    List<Setting> chosen = new ArrayList<>();
    List<Double> scores = new ArrayList<>();
    System.out.printf(
        Locale.ROOT,
        "%nValidation sweep (%d edits, all inserted, generator;"
            + " chosen by the mean pass rate of the seven probes):%n",
        validation.size());
    for (Family f : families) {
      double bestScore = -1;
      Setting best = null;
      for (Setting base : f.settings()) {
        for (Row r : sweep(base, validation)) {
          double score = Scores.objective(r.answers());
          if (score > bestScore) {
            bestScore = score;
            best = settingOf(base, r);
          }
        }
      }
      chosen.add(best);
      scores.add(bestScore);
    }
    List<EditCase> test = EditCase.build(scenes, host, Split.TEST, options.edits(), SEED + 1);
    System.out.printf(
        Locale.ROOT, "%nTest split, %d edits; settings chosen on validation:%n", test.size());
    int overall = 0;
    for (int i = 0; i < families.size(); i++) {
      System.out.printf(
          Locale.ROOT,
          "  %-55s %s (validation score %.3f)%n",
          families.get(i).method(),
          chosen.get(i).label(),
          scores.get(i));
      if (!chosen.get(i).textOnly() && scores.get(i) > scores.get(overall)) {
        overall = i;
      }
    }
    for (int i = 0; i < families.size(); i++) {
      Family f = families.get(i);
      sequential(f.method() + ", generator", chosen.get(i), "GENERATOR", test, f.alsoHnsw());
    }
    sequential(families.get(overall).method() + ", fit", chosen.get(overall), "FIT", test, false);
    try (Editor e = UnroutedEditor.everyExpert(host, generator)) {
      sequential("no routing (every expert, gate 1)", "-", "-", e, test, List.of());
    }
    try (Editor e = UnroutedEditor.fineTuning(host, options.fineTuneSteps())) {
      sequential(
          "sequential fine-tuning (full-rank, " + Editors.MODULE + ")",
          "-",
          "-",
          e,
          test,
          List.of());
    }
    Outputs.write(options.out(), rows, test.size());
    System.out.printf(
        Locale.ROOT,
        "%nWrote results.csv, sweep.csv, results.md and answers.png" + " to %s in %.1f min%n",
        options.out().toAbsolutePath(),
        (System.nanoTime() - start) / 60e9);
    return rows;
  }

  /** One layer of the sweep: every validation edit inserted, asked at each threshold. */
  private List<Row> sweep(Setting base, List<EditCase> validation) throws Exception {
    List<Row> out = new ArrayList<>();
    Path dir = freshDir("sweep");
    try (StoreEditor e = editor(dir, base, "GENERATOR")) {
      List<Long> ids = new ArrayList<>();
      for (EditCase c : validation) {
        ids.add(e.edit(c));
      }
      for (double t : options.thresholds()) {
        Row r = measure(base.withThreshold(t).label(), e, validation, ids, t);
        print(r);
        out.add(r);
      }
    } finally {
      DirTrees.delete(dir);
    }
    return out;
  }

  private Setting settingOf(Setting base, Row r) {
    for (double t : options.thresholds()) {
      if (base.withThreshold(t).label().equals(r.setting())) {
        return base.withThreshold(t);
      }
    }
    throw new IllegalStateException("no threshold gave row " + r.method());
  }

  private StoreEditor editor(Path dir, Setting s, String maker) throws SQLException {
    return editor(dir, s, maker, Editors.MODULE, null, null);
  }

  /**
   * A store with one layer {@code l} at {@code module}; {@code regionColumn} and {@code region} as
   * StoreEditor's.
   */
  StoreEditor editor(
      Path dir,
      Setting s,
      String maker,
      String module,
      String regionColumn,
      java.util.function.Function<EditCase, Object> region)
      throws SQLException {
    return new StoreEditor(
        dir,
        s.ddl("l", maker, host, module),
        "l",
        host,
        s.textOnly() ? generator : null,
        s.textDim(host),
        SearchMode.EXACT,
        regionColumn,
        region);
  }

  /** A method on EditDB: edits inserted through SQL, asked with the exact scan (and HNSW). */
  private void sequential(
      String method, Setting s, String maker, List<EditCase> test, boolean alsoHnsw)
      throws Exception {
    Path dir = freshDir("test");
    try (StoreEditor e = editor(dir, s, maker)) {
      sequential(
          method, s.label(), "exact", e, test, alsoHnsw ? List.of(SearchMode.HNSW) : List.of());
      if (e.refused() > 0) {
        System.out.printf(
            Locale.ROOT,
            "  (%s: the maker refused %d of %d edits; their probes" + " count as failed)%n",
            method,
            e.refused(),
            test.size());
      }
    } finally {
      DirTrees.delete(dir);
    }
  }

  /**
   * Inserts the edits in order; at each checkpoint asks the probes of every edit so far. Returns
   * the edit ids in order (-1 for an edit the maker refused).
   */
  List<Long> sequential(
      String method,
      String setting,
      String router,
      Editor e,
      List<EditCase> test,
      List<SearchMode> alsoWith)
      throws SQLException {
    List<Long> ids = new ArrayList<>();
    long editNanos = 0;
    for (int k : options.checkpoints()) {
      while (ids.size() < k) {
        long t0 = System.nanoTime();
        ids.add(e.edit(test.get(ids.size())));
        editNanos += System.nanoTime() - t0;
      }
      List<EditCase> done = test.subList(0, k);
      double msPerEdit = editNanos / 1e6 / k;
      print(measureIds(method, setting, router, e, done, ids, msPerEdit));
      for (SearchMode m : alsoWith) {
        StoreEditor se = (StoreEditor) e;
        se.searchWith(m);
        print(
            measureIds(
                method, setting, m.name().toLowerCase(Locale.ROOT), e, done, ids, msPerEdit));
        se.searchWith(SearchMode.EXACT);
      }
    }
    return ids;
  }

  private Row measureIds(
      String method,
      String setting,
      String router,
      Editor e,
      List<EditCase> done,
      List<Long> ids,
      double msPerEdit) {
    Row r = score("test", method, setting, router, e, done, ids, null, msPerEdit);
    rows.add(r);
    return r;
  }

  /** For the sweep: every edit inserted ({@code ids}, -1 where refused), asked once. */
  Row measure(String setting, Editor e, List<EditCase> done, List<Long> ids, Double threshold) {
    Row r = score("validation", "sweep", setting, "exact", e, done, ids, threshold, 0);
    rows.add(r);
    return r;
  }

  private Row score(
      String split,
      String method,
      String setting,
      String router,
      Editor e,
      List<EditCase> done,
      List<Long> ids,
      Double threshold,
      double msPerEdit) {
    int kinds = ProbeKind.values().length;
    List<HostModel.Input> inputs = new ArrayList<>(done.size() * kinds);
    for (EditCase c : done) {
      c.probes().forEach(p -> inputs.add(p.input()));
    }
    long t0 = System.nanoTime();
    List<Answered> answered = e.ask(inputs, threshold);
    double msPerQuery = (System.nanoTime() - t0) / 1e6 / inputs.size();
    boolean[][] pass = new boolean[kinds][done.size()];
    boolean[][] routed = new boolean[kinds][done.size()];
    for (int i = 0; i < done.size(); i++) {
      for (Probe p : done.get(i).probes()) {
        Answered a = answered.get(i * kinds + p.kind().ordinal());
        pass[p.kind().ordinal()][i] = a.answer().equals(p.expect());
        routed[p.kind().ordinal()][i] =
            p.kind().wantsTarget ? a.topEdit() == ids.get(i) : !a.routedAny();
      }
    }
    Cell[] answers = Scores.of(pass, options.bootstrap(), SEED);
    Cell[] routing = new Cell[kinds];
    if (e.routes()) {
      routing = Scores.of(routed, options.bootstrap(), SEED);
    } else {
      java.util.Arrays.fill(routing, Cell.NONE);
    }
    return new Row(
        split, method, setting, router, done.size(), answers, routing, msPerEdit, msPerQuery);
  }

  static void print(Row r) {
    StringBuilder sb =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "  %-60s %-5s %5d |",
                r.split().equals("validation") ? r.setting() : r.method(),
                r.router(),
                r.edits()));
    for (ProbeKind k : ProbeKind.values()) {
      Cell a = r.answers()[k.ordinal()];
      Cell t = r.routing()[k.ordinal()];
      sb.append(String.format(Locale.ROOT, " %s %s (%s) |", k.label, a.text(), t.text()));
    }
    sb.append(
        String.format(Locale.ROOT, " %.1f ms/edit, %.2f ms/query", r.msPerEdit(), r.msPerQuery()));
    System.out.println(sb);
  }

  Path freshDir(String what) throws IOException {
    Path dir = options.out().resolve("store-" + what);
    DirTrees.delete(dir);
    return dir;
  }

  List<Row> rows() {
    return rows;
  }
}
