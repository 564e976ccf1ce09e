package io.editdb.bench.answers;

import io.editdb.bench.answers.AnswerBench.Row;
import io.editdb.bench.answers.AnswerBench.Setting;
import io.editdb.bench.answers.Editors.StoreEditor;
import io.editdb.cli.DirTrees;
import io.editdb.model.Attribution;
import io.editdb.model.GeneratorExpertMaker;
import io.editdb.model.QuestionType;
import io.editdb.model.Sample;
import io.editdb.model.SceneHost;
import io.editdb.model.Scenes;
import io.editdb.model.Split;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

/**
 * The VisEdit benchmark (issue 15): the answer-level lifelong benchmark's splits, probes and
 * intervals, with every edit an expert at {@link #MODULE} fitted from its picture, and five ways of
 * choosing the token positions it acts on, each learned under: every position (LiveEdit), the
 * visual tokens only, the top-k visual tokens by integrated gradients of the host's own answer
 * chosen again in each query the edit is routed to ({@code query_region 'TOP k'}, VisEdit; k chosen
 * on validation), the same top-k fixed once on the edit's own picture ({@code token_mask 'TOP k'}),
 * and k visual tokens drawn at random (the control: the same size without attribution). Routing is
 * the answer-level benchmark's best family (SOFTMAX gates, null_logit 12, threshold 0.8,
 * visual_weight 30). Also reported: how often the attribution mask's tokens lie inside the asked
 * object's box, against the random mask's.
 *
 * <pre>
 * ./editdb bench visedit [--edits 1000] [--validation 150] [--k 2,4,8] [--out target/visedit]
 * </pre>
 */
public final class VisEditBench {
  /**
   * The module every arm edits. Attribution finds visual tokens carrying the answer at blocks.0 and
   * blocks.1 and none after the last block (blocks.2, where the answer-level benchmark edits): the
   * scene host's head reads position 0 only, so a region of visual tokens there would change
   * nothing.
   */
  static final String MODULE = "blocks.1";

  /** The answer-level benchmark's best routing on its validation split. */
  static final Setting ROUTING = new Setting("SOFTMAX", 12, 0.8, 30, true, false);

  private static final long SEED = 2026;

  /** One way of choosing an edit's region: the INSERT column and its value per edit. */
  record Arm(String method, String column, Function<EditCase, Object> value) {}

  private final AnswerBench bench;
  private final SceneHost host;
  private final AnswerBench.Options options;
  private final int[] ks;
  private final Scenes scenes = Scenes.standard();

  VisEditBench(
      AnswerBench.Options options, int[] ks, SceneHost host, GeneratorExpertMaker generator) {
    this.bench = new AnswerBench(options, host, generator);
    this.host = host;
    this.options = options;
    this.ks = ks;
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.println(
          """
          editdb bench visedit [--edits 1000] [--validation 150] [--k 2,4,8] [--bootstrap 1000]
                               [--out target/visedit] [--quick]
              VisEdit on the answers of EditDB's own host: sequential edits fitted at blocks.1
              acting on every token, on the visual tokens, on the top-k visual tokens by
              attribution in each query or fixed on the edit's picture (k chosen on
              validation), or on k random visual tokens; Rel, T-Gen,
              M-Gen, T-Loc, M-Loc with bootstrap 95% intervals after 1, 10, 100 and all edits,
              and how often the attribution mask lies inside the asked object's box.
              Writes results.csv, results.md, answers.png and localisation.csv to --out""");
      return;
    }
    List<String> rest = new ArrayList<>();
    int[] ks = {2, 4, 8};
    int edits = 1000;
    int validation = 150;
    Path out = Paths.get("target", "visedit");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--k" -> {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException("--k needs a value; e.g. --k 2,4,8");
          }
          ks = parseKs(args[++i]);
        }
        case "--edits" -> edits = Integer.parseInt(args[++i]);
        case "--validation" -> validation = Integer.parseInt(args[++i]);
        case "--out" -> out = Paths.get(args[++i]);
        default -> rest.add(args[i]);
      }
    }
    rest.addAll(
        List.of(
            "--edits",
            Integer.toString(edits),
            "--validation",
            Integer.toString(validation),
            "--out",
            out.toString()));
    AnswerBench.Options o = AnswerBench.Options.parse(rest.toArray(String[]::new));
    try (SceneHost host = SceneHost.load();
        GeneratorExpertMaker generator = GeneratorExpertMaker.load(host)) {
      new VisEditBench(o, ks, host, generator).run();
    }
  }

  static int[] parseKs(String v) {
    try {
      int[] ks =
          java.util.Arrays.stream(v.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
      if (ks.length > 0 && java.util.Arrays.stream(ks).allMatch(k -> k >= 1 && k <= 16)) {
        return ks;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "--k takes token counts in [1, 16], comma-separated;" + " got '" + v + "'; e.g. --k 2,4,8");
  }

  /** Runs the sweep of k and the four arms; writes the outputs; returns the test rows. */
  List<Row> run() throws Exception {
    long start = System.nanoTime();
    Files.createDirectories(options.out());
    System.out.printf(
        Locale.ROOT,
        "VisEdit benchmark: %d test edits, %d validation edits, fit" + " at %s, %s%n",
        options.edits(),
        options.validation(),
        MODULE,
        ROUTING.label());
    List<EditCase> validation =
        EditCase.build(scenes, host, Split.VALIDATION, options.validation(), SEED);
    int best = ks[0];
    double bestScore = -1;
    System.out.printf(
        Locale.ROOT,
        "%nValidation sweep of k (%d edits, all inserted; chosen by"
            + " the mean pass rate of the seven probes):%n",
        validation.size());
    for (int k : ks) {
      Path dir = bench.freshDir("visedit-sweep");
      try (StoreEditor e =
          bench.editor(dir, ROUTING, "FIT", MODULE, "query_region", c -> "TOP " + k)) {
        List<Long> ids = new ArrayList<>();
        for (EditCase c : validation) {
          ids.add(e.edit(c));
        }
        Row r = bench.measure("query_region TOP " + k, e, validation, ids, null);
        AnswerBench.print(r);
        double score = Scores.objective(r.answers());
        if (score > bestScore) {
          bestScore = score;
          best = k;
        }
      } finally {
        DirTrees.delete(dir);
      }
    }
    int k = best;
    System.out.printf(Locale.ROOT, "  chosen: k = %d (validation score %.3f)%n", k, bestScore);
    List<EditCase> test = EditCase.build(scenes, host, Split.TEST, options.edits(), SEED + 1);
    System.out.printf(Locale.ROOT, "%nTest split, %d edits:%n", test.size());
    List<Arm> arms =
        List.of(
            new Arm("every token (LiveEdit)", "token_mask", c -> null),
            new Arm("visual tokens only", "token_mask", c -> "VISUAL"),
            new Arm(
                "attribution top-" + k + ", each query's own (VisEdit)",
                "query_region",
                c -> "TOP " + k),
            new Arm(
                "attribution top-" + k + ", fixed on the edit's picture",
                "token_mask",
                c -> "TOP " + k),
            new Arm(
                "random " + k + " visual tokens (control)", "token_mask", c -> randomVisual(c, k)));
    List<int[]> attributed = new ArrayList<>();
    for (Arm arm : arms) {
      Path dir = bench.freshDir("visedit-test");
      try (StoreEditor e = bench.editor(dir, ROUTING, "FIT", MODULE, arm.column(), arm.value())) {
        List<Long> ids =
            bench.sequential(arm.method(), ROUTING.label(), "exact", e, test, List.of());
        if (e.refused() > 0) {
          System.out.printf(
              Locale.ROOT,
              "  (%s: the fit refused %d of %d edits; their probes" + " count as failed)%n",
              arm.method(),
              e.refused(),
              test.size());
        }
        if (arm.column().equals("query_region")) {
          for (long id : ids) {
            attributed.add(id < 0 ? null : e.tokenMask(id));
          }
        }
      } finally {
        DirTrees.delete(dir);
      }
    }
    String localisation = localisation(test, attributed, k);
    System.out.println();
    System.out.print(localisation);
    Files.writeString(options.out().resolve("localisation.csv"), localisation);
    Outputs.write(options.out(), bench.rows(), test.size());
    System.out.printf(
        Locale.ROOT,
        "%nWrote results.csv, results.md, answers.png and"
            + " localisation.csv to %s in %.1f min%n",
        options.out().toAbsolutePath(),
        (System.nanoTime() - start) / 60e9);
    return bench.rows();
  }

  /** k distinct visual positions (1 to 16) drawn with a seed of the edit's own. */
  static int[] randomVisual(EditCase c, int k) {
    Random rnd = new Random(SEED ^ c.edit().index() * 0x9E3779B97F4A7C15L);
    List<Integer> all = new ArrayList<>();
    for (int t = 1; t <= 16; t++) {
      all.add(t);
    }
    java.util.Collections.shuffle(all, rnd);
    return all.subList(0, k).stream().mapToInt(Integer::intValue).sorted().toArray();
  }

  /**
   * Share of mask tokens inside the box of the object the question asks about (the logo, or the
   * first drawn object; counting questions skipped), for the attribution masks the store kept and
   * for the random masks, as CSV.
   */
  private String localisation(List<EditCase> test, List<int[]> attributed, int k) {
    double inAttr = 0;
    double inRandom = 0;
    double covered = 0;
    int n = 0;
    for (int i = 0; i < test.size(); i++) {
      Sample s = test.get(i).edit();
      int[] mask = attributed.get(i);
      if (mask == null || s.type() == QuestionType.COUNT || s.objects().isEmpty()) {
        continue;
      }
      boolean[] inside = host.positionsCovering(s.objects().get(0).box());
      inAttr += share(mask, inside);
      inRandom += share(randomVisual(test.get(i), k), inside);
      covered += Attribution.coveredShare(host.visualPositions(), inside);
      n++;
    }
    return String.format(
        Locale.ROOT,
        "mask,edits,share_inside_asked_object%n"
            + "attribution top-%d,%d,%.3f%nrandom %d,%d,%.3f%n(box covers on average),%d,%.3f%n",
        k,
        n,
        inAttr / n,
        k,
        n,
        inRandom / n,
        n,
        covered / n);
  }

  private static double share(int[] mask, boolean[] inside) {
    int in = 0;
    for (int t : mask) {
      in += inside[t] ? 1 : 0;
    }
    return (double) in / mask.length;
  }
}
