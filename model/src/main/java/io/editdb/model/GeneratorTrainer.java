package io.editdb.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.editdb.query.ApplierConfig;
import io.editdb.query.ExpertApplier;
import io.editdb.query.RoutedEdit;
import io.editdb.store.ExpertWeights;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Trains a {@link GeneratorExpertMaker} for a frozen host on the train split of {@link Scenes}, and
 * measures it against {@link FitExpertMaker} on the test split.
 *
 * <p>Each step draws fresh edits: a train sample and a random target of the same question type that
 * differs from the host's answer. The loss is the cross entropy of the target on the edit sample,
 * on another training phrasing of it and on another drawing of it (generality), plus the cross
 * entropy of the host's own answer on other edits' samples with the expert applied to them
 * (locality; up to half of those ask the edit's own question type). The host is frozen: only the
 * generator's parameters get gradients. Held-out phrasings and the validation and test splits are
 * never drawn here.
 *
 * <p>Command line; writes {@code generator-v1.params} and {@code generator-v1.json} (seed, command,
 * data version, time, the measured comparison) into {@code --out}:
 *
 * <pre>
 * java -cp ... io.editdb.model.GeneratorTrainer [--steps 4000] [--minutes 8] [--batch 48]
 *     [--lr 0.0003] [--locality 3] [--seed 1] [--eval 200] [--out model/src/main/resources/io/editdb/model]
 * </pre>
 */
public final class GeneratorTrainer {
  private GeneratorTrainer() {}

  /**
   * How to train.
   *
   * @param batch edits per step
   * @param localityPairs unrelated samples each expert is applied to per step
   * @param localityWeight weight of the locality term against the edit terms
   */
  public record Options(
      GeneratorExpertMaker.Options generator,
      int steps,
      int batch,
      int localityPairs,
      float learningRate,
      float localityWeight,
      long seed,
      double maxSeconds) {
    public Options {
      if (generator == null
          || steps < 1
          || batch < 2
          || batch > 1024
          || localityPairs < 0
          || localityPairs >= batch
          || !(learningRate > 0)
          || !(learningRate < 1)
          || !(localityWeight >= 0)
          || !(maxSeconds > 0)) {
        throw new IllegalArgumentException(
            "training needs generator options, steps >= 1, batch in [2, 1024], localityPairs in"
                + " [0, batch), learning rate in (0, 1), localityWeight >= 0 and a positive time"
                + " limit; got "
                + generator
                + ", steps="
                + steps
                + ", batch="
                + batch
                + ", localityPairs="
                + localityPairs
                + ", lr="
                + learningRate
                + ", locality="
                + localityWeight
                + ", maxSeconds="
                + maxSeconds
                + "; fix the offending value");
      }
    }

    /** What the shipped generator was trained with. */
    public static Options defaults() {
      return new Options(
          GeneratorExpertMaker.Options.defaults(), 4000, 48, 16, 3e-4f, 3f, 1, 8 * 60);
    }
  }

  /** What a training run did; {@code generator} is the caller's to close. */
  public record Result(
      GeneratorExpertMaker generator, int steps, double seconds, float firstLoss, float lastLoss) {}

  private record Batch(List<Sample> edits, List<HostModel.Input> inputs) {}

  /** Trains a fresh generator for {@code host}; {@code log} receives progress lines. */
  public static Result train(HostModel host, Options o, Scenes scenes, Consumer<String> log) {
    GeneratorExpertMaker g = GeneratorExpertMaker.initialize(host, o.generator(), o.seed());
    boolean ok = false;
    try {
      Result r = run(host, g, o, scenes, log);
      ok = true;
      return r;
    } finally {
      if (!ok) {
        g.close();
      }
    }
  }

  private static Result run(
      HostModel host, GeneratorExpertMaker g, Options o, Scenes scenes, Consumer<String> log) {
    long start = System.nanoTime();
    int warmup = Math.max(1, Math.min(100, o.steps() / 10));
    Tracker schedule =
        n -> {
          if (n < warmup) {
            return o.learningRate() * (n + 1) / warmup;
          }
          double bySteps = (n - warmup) / (double) Math.max(1, o.steps() - warmup);
          double byTime = (System.nanoTime() - start) / 1e9 / o.maxSeconds();
          double progress = Math.min(1.0, Math.max(bySteps, byTime));
          return (float)
              (o.learningRate() * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * progress))));
        };
    // Clipped: at a learning rate of 1e-3 held for 500 steps the loss jumped from 0.3 to 50 and
    // stayed there (an expert's scale runs away); clipping and 3e-4 keep it down.
    Optimizer adam = Adam.builder().optLearningRateTracker(schedule).optClipGrad(1f).build();
    for (NDArray p : g.parameters().values()) {
      p.setRequiresGradient(true);
    }
    Map<QuestionType, int[]> byType = answersByType(scenes, host);
    int n = o.batch();
    int k = o.localityPairs();
    BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(4);
    AtomicReference<RuntimeException> failed = new AtomicReference<>();
    Thread producer =
        Thread.ofPlatform()
            .name("editdb-generator-batches")
            .daemon()
            .start(
                () -> {
                  Random rnd = new Random(Scenes.mix(o.seed(), 0xB47C4L));
                  try {
                    for (long s = 0; ; s++) {
                      queue.put(batch(scenes, s * n, n, rnd));
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  } catch (RuntimeException e) {
                    failed.set(e);
                  }
                });
    Random targets = new Random(Scenes.mix(o.seed(), 0x7A4637L));
    int answers = host.answers().size();
    float first = Float.NaN;
    float last = Float.NaN;
    double ema = Double.NaN;
    int step = 0;
    String layer = o.generator().layer();
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      while (step < o.steps() && (System.nanoTime() - start) / 1e9 < o.maxSeconds()) {
        Batch b = queue.poll(1, TimeUnit.SECONDS);
        if (b == null) {
          if (failed.get() != null) {
            throw new IllegalStateException("drawing generator batches failed", failed.get());
          }
          continue;
        }
        float loss;
        try (NDManager m = root.newSubManager()) {
          // The frozen host, outside the gradient collector: no graph is kept for it.
          NDArray h = host.hiddenAt(layer, b.inputs(), m);
          NDArray he = h.get("0:" + n);
          NDArray hp = h.get(n + ":" + 2 * n);
          NDArray hr = h.get(2 * n + ":");
          long[] base = host.continueFrom(layer, he).argMax(1).toLongArray();
          long[] t = new long[n];
          float[] hot = new float[n * answers];
          for (int i = 0; i < n; i++) {
            int[] choices = byType.get(b.edits().get(i).type());
            do {
              t[i] = choices[targets.nextInt(choices.length)];
            } while (t[i] == base[i]);
            hot[i * answers + (int) t[i]] = 1f;
          }
          NDArray target = m.create(hot, new Shape(n, answers));
          long[] pick = new long[n * k];
          float[] keep = new float[n * k * answers];
          for (int i = 0; i < n; i++) {
            int[] others = partners(b.edits(), i, k);
            for (int j = 0; j < k; j++) {
              pick[i * k + j] = others[j];
              keep[(i * k + j) * answers + (int) base[others[j]]] = 1f;
            }
          }
          NDArray keepHot = m.create(keep, new Shape((long) n * k, answers));
          NDArray hl = k == 0 ? null : he.get(m.create(pick));
          if (hl != null) {
            hl.attach(m);
          }
          try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray[] ab = g.generate(he, t, m);
            NDArray l =
                ce(host, layer, he.add(g.delta(he, ab[0], ab[1])), target)
                    .add(ce(host, layer, hp.add(g.delta(hp, ab[0], ab[1])), target))
                    .add(ce(host, layer, hr.add(g.delta(hr, ab[0], ab[1])), target));
            if (hl != null) {
              NDArray al = ab[0].repeat(0, k);
              NDArray bl = ab[1].repeat(0, k);
              l =
                  l.add(
                      ce(host, layer, hl.add(g.delta(hl, al, bl)), keepHot)
                          .mul(o.localityWeight()));
            }
            gc.backward(l);
            loss = l.getFloat();
          }
          if (!OptimizerSteps.step(adam, g.parameters(), m)) {
            log.accept(
                "GeneratorTrainer - step "
                    + step
                    + " skipped: loss "
                    + loss
                    + " or its gradients are not finite");
            continue;
          }
        }
        step++;
        first = Float.isNaN(first) ? loss : first;
        last = loss;
        ema = Double.isNaN(ema) ? loss : 0.98 * ema + 0.02 * loss;
        if (step % 50 == 0 || step == o.steps()) {
          log.accept(
              String.format(
                  Locale.ROOT,
                  "GeneratorTrainer - step %d/%d loss %.4f (avg %.4f) %.0fs",
                  step,
                  o.steps(),
                  loss,
                  ema,
                  (System.nanoTime() - start) / 1e9));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("training interrupted at step " + step, e);
    } finally {
      producer.interrupt();
      for (NDArray p : g.parameters().values()) {
        p.setRequiresGradient(false);
      }
    }
    return new Result(g, step, (System.nanoTime() - start) / 1e9, first, last);
  }

  /**
   * The {@code k} other edits of the batch that edit {@code i}'s expert must leave alone: up to
   * half of them asking the same question type (the probe a random partner rarely is: same
   * question, other picture), the rest the next ones in the batch. A sample asking the same
   * question of the same entity, or the same text-only question, is never one: it is the same fact,
   * which the edit should change.
   */
  private static int[] partners(List<Sample> batch, int i, int k) {
    Sample e = batch.get(i);
    int n = batch.size();
    int[] out = new int[k];
    int filled = 0;
    for (int step = 1; step < n && filled < k / 2; step++) {
      Sample o = batch.get((i + step) % n);
      if (o.type() == e.type() && !sameFact(o, e)) {
        out[filled++] = (i + step) % n;
      }
    }
    for (int step = 1; step < n && filled < k; step++) {
      int j = (i + step) % n;
      Sample o = batch.get(j);
      boolean taken = false;
      for (int f = 0; f < filled; f++) {
        taken |= out[f] == j;
      }
      if (!taken && !(o.type() == e.type() && sameFact(o, e))) {
        out[filled++] = j;
      }
    }
    for (; filled < k; filled++) { // a batch of near-duplicates: repeat what there is
      out[filled] = filled == 0 ? (i + 1) % n : out[filled - 1];
    }
    return out;
  }

  private static boolean sameFact(Sample a, Sample b) {
    return a.type() == b.type()
        && ((a.entityId() >= 0 && a.entityId() == b.entityId())
            || (!a.hasImage() && !b.hasImage() && a.answer().equals(b.answer())));
  }

  /** Mean cross entropy of one-hot targets on the answers continued from edited hidden states. */
  private static NDArray ce(HostModel host, String layer, NDArray hidden, NDArray hot) {
    return host.continueFrom(layer, hidden).logSoftmax(1).mul(hot).sum(new int[] {1}).mean().neg();
  }

  /** Edits, then another training phrasing of each, then another drawing of each. */
  private static Batch batch(Scenes scenes, long from, int n, Random rnd) {
    List<Sample> edits = new ArrayList<>(n);
    List<HostModel.Input> in = new ArrayList<>(3 * n);
    for (int i = 0; i < n; i++) {
      edits.add(scenes.sample(Split.TRAIN, from + i));
    }
    edits.forEach(s -> in.add(HostModel.Input.of(s)));
    for (Sample s : edits) {
      int templates = s.type().templates(Phrasing.TRAIN).size();
      in.add(HostModel.Input.of(scenes.rephrase(s, Phrasing.TRAIN, rnd.nextInt(templates))));
    }
    for (Sample s : edits) {
      in.add(HostModel.Input.of(scenes.redraw(s, 1 + rnd.nextInt(8))));
    }
    return new Batch(edits, in);
  }

  /**
   * The answers a question of each type can have, as ids of the host's answers: what an edit's
   * counterfactual target is drawn from.
   */
  static Map<QuestionType, int[]> answersByType(Scenes scenes, HostModel host) {
    Map<QuestionType, int[]> out = new EnumMap<>(QuestionType.class);
    for (QuestionType type : QuestionType.values()) {
      out.put(type, scenes.answersOf(type).stream().mapToInt(a -> checkedIndex(host, a)).toArray());
    }
    return out;
  }

  private static int checkedIndex(HostModel host, String answer) {
    int i = host.answers().indexOf(answer);
    if (i < 0) {
      throw new IllegalArgumentException(
          "answer '"
              + answer
              + "' of the scenes is not one of the host's answers; train the"
              + " generator for a host trained on the same scenes ("
              + Scenes.DATA_VERSION
              + ")");
    }
    return i;
  }

  /** One edit of the comparison: a test sample and its counterfactual target. */
  record Edit(Sample sample, String target) {}

  /**
   * {@code n} counterfactual edits of test samples (the training mix of kinds), each with a target
   * of its question type other than the host's answer, drawn with {@code seed}.
   */
  static List<Edit> testEdits(HostModel host, Scenes scenes, int n, long seed) {
    Map<QuestionType, int[]> byType = answersByType(scenes, host);
    Random rnd = new Random(seed);
    List<Edit> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Sample s = scenes.sample(Split.TEST, i);
      String before;
      try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
        before =
            host.answers()
                .get((int) host.logits(List.of(HostModel.Input.of(s)), m).argMax(1).getLong(0));
      }
      int[] choices = byType.get(s.type());
      String t;
      do {
        t = host.answers().get(choices[rnd.nextInt(choices.length)]);
      } while (t.equals(before));
      out.add(new Edit(s, t));
    }
    return out;
  }

  /**
   * How one expert maker did on a list of edits, each expert applied alone through {@code
   * ExpertApplier} with gate 1 (no routing): edit success, held-out paraphrase, another drawing
   * (edits with an image only), unrelated test samples unchanged (all of them, and those asking the
   * edit's own question type, the harder probe), and time per edit.
   */
  public record Quality(
      String maker,
      int edits,
      double success,
      double paraphrase,
      double redraw,
      int redraws,
      double locality,
      int localitySamples,
      double sameTypeLocality,
      long sameTypePairs,
      double msPerEdit) {}

  /** Measures a maker (a function from an edit to its expert) on {@code edits}. */
  static Quality measure(
      String name,
      HostModel host,
      String layer,
      Scenes scenes,
      List<Edit> edits,
      int localitySamples,
      BiFunction<HostModel.Input, String, ExpertWeights> maker) {
    return measure(name, host, layer, scenes, edits, localitySamples, 1f, maker);
  }

  /** {@link #measure} with every expert applied at {@code gate} (what a router might give it). */
  static Quality measure(
      String name,
      HostModel host,
      String layer,
      Scenes scenes,
      List<Edit> edits,
      int localitySamples,
      float gate,
      BiFunction<HostModel.Input, String, ExpertWeights> maker) {
    List<HostModel.Input> unrelated = new ArrayList<>();
    List<QuestionType> unrelatedTypes = new ArrayList<>();
    for (int i = 0; i < localitySamples; i++) {
      Sample u = scenes.sample(Split.TEST, 100_000 + i);
      unrelated.add(HostModel.Input.of(u));
      unrelatedTypes.add(u.type());
    }
    Map<Long, ExpertWeights> made = new HashMap<>();
    int success = 0;
    int para = 0;
    int redraw = 0;
    int redraws = 0;
    long kept = 0;
    long sameKept = 0;
    long samePairs = 0;
    double nanos = 0;
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), made::get)) {
      NDArray hu = host.hiddenAt(layer, unrelated, m);
      long[] baseU = host.continueFrom(layer, hu).argMax(1).toLongArray();
      long id = 0;
      for (Edit e : edits) {
        Sample s = e.sample();
        long t0 = System.nanoTime();
        ExpertWeights w = maker.apply(HostModel.Input.of(s), e.target());
        nanos += System.nanoTime() - t0;
        made.put(
            ++id,
            new ExpertWeights(id, w.kind(), w.rank(), w.dIn(), w.dOut(), w.alpha(), w.a(), w.b()));
        List<HostModel.Input> probes = new ArrayList<>();
        probes.add(HostModel.Input.of(s));
        probes.add(HostModel.Input.of(scenes.rephrase(s, Phrasing.HELD_OUT, 0)));
        if (s.hasImage()) {
          probes.add(HostModel.Input.of(scenes.redraw(s, 1)));
        }
        try (NDManager q = m.newSubManager()) {
          NDArray hProbe = host.hiddenAt(layer, probes, q);
          NDArray h = hProbe.concat(hu, 0);
          List<List<RoutedEdit>> routed = new ArrayList<>();
          for (long r = h.getShape().get(0); r > 0; r--) {
            routed.add(List.of(new RoutedEdit(id, gate)));
          }
          long[] after =
              host.continueFrom(layer, applier.apply(h, routed, null)).argMax(1).toLongArray();
          int t = host.answers().indexOf(e.target());
          success += after[0] == t ? 1 : 0;
          para += after[1] == t ? 1 : 0;
          int off = 2;
          if (s.hasImage()) {
            redraw += after[2] == t ? 1 : 0;
            redraws++;
            off = 3;
          }
          for (int j = 0; j < baseU.length; j++) {
            kept += after[off + j] == baseU[j] ? 1 : 0;
            if (unrelatedTypes.get(j) == s.type()) {
              sameKept += after[off + j] == baseU[j] ? 1 : 0;
              samePairs++;
            }
          }
        }
        made.remove(id);
      }
    }
    int n = edits.size();
    return new Quality(
        name,
        n,
        success / (double) n,
        para / (double) n,
        redraws == 0 ? Double.NaN : redraw / (double) redraws,
        redraws,
        kept / (double) ((long) n * localitySamples),
        localitySamples,
        samePairs == 0 ? Double.NaN : sameKept / (double) samePairs,
        samePairs,
        nanos / 1e6 / n);
  }

  /** Trains the shipped generator, measures it against fit and writes both files. */
  public static void main(String[] args) throws IOException {
    Options d = Options.defaults();
    int steps = d.steps();
    int batch = d.batch();
    float lr = d.learningRate();
    float locality = d.localityWeight();
    long seed = d.seed();
    double minutes = d.maxSeconds() / 60;
    int eval = 200;
    Path out = Path.of("model/src/main/resources/io/editdb/model");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(usage(a));
      }
      String v = args[++i];
      switch (a) {
        case "--steps" -> steps = Integer.parseInt(v);
        case "--batch" -> batch = Integer.parseInt(v);
        case "--lr" -> lr = Float.parseFloat(v);
        case "--locality" -> locality = Float.parseFloat(v);
        case "--seed" -> seed = Long.parseLong(v);
        case "--minutes" -> minutes = Double.parseDouble(v);
        case "--eval" -> eval = Integer.parseInt(v);
        case "--out" -> out = Path.of(v);
        default -> throw new IllegalArgumentException(usage(a));
      }
    }
    Options o =
        new Options(
            d.generator(),
            steps,
            batch,
            Math.min(d.localityPairs(), batch - 1),
            lr,
            locality,
            seed,
            minutes * 60);
    Scenes scenes = Scenes.standard();
    try (SceneHost host = SceneHost.load()) {
      System.out.println("GeneratorTrainer - " + o + " on " + host);
      Result r = train(host, o, scenes, System.out::println);
      try (GeneratorExpertMaker g = r.generator()) {
        String layer = o.generator().layer();
        List<Edit> edits = testEdits(host, scenes, eval, 2026);
        Quality gq = measure("generator", host, layer, scenes, edits, 100, g::make);
        FitExpertMaker fit =
            new FitExpertMaker(
                host, layer, FitExpertMaker.Options.defaults().withKind(o.generator().kind()));
        List<HostModel.Input> fitLocality = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
          fitLocality.add(HostModel.Input.of(scenes.sample(Split.TRAIN, 50_000 + i)));
        }
        Quality fq =
            measure(
                "fit",
                host,
                layer,
                scenes,
                edits,
                100,
                (in, t) -> fit.fit(in, t, fitLocality).weights(0));
        System.out.println("GeneratorTrainer - " + gq);
        System.out.println("GeneratorTrainer - " + fq);
        Files.createDirectories(out);
        try (OutputStream w = Files.newOutputStream(out.resolve("generator-v1.params"))) {
          g.save(w);
        }
        String command = "java ... io.editdb.model.GeneratorTrainer " + String.join(" ", args);
        Files.writeString(
            out.resolve("generator-v1.json"),
            record(o, r, gq, fq, command),
            StandardCharsets.UTF_8);
      }
    }
  }

  private static String usage(String arg) {
    return "unknown or incomplete argument '"
        + arg
        + "'; use --steps N --batch N --lr X"
        + " --locality X --seed N --minutes X --eval N --out DIR";
  }

  private static String quality(Quality q) {
    return String.format(
        Locale.ROOT,
        "{\"edits\": %d, \"edit_success\": %.4f, \"paraphrase\":"
            + " %.4f, \"redraw\": %.4f, \"redraw_edits\": %d, \"locality\": %.4f,"
            + " \"locality_samples\": %d, \"same_type_locality\": %.4f, \"same_type_pairs\": %d,"
            + " \"ms_per_edit\": %.2f}",
        q.edits(),
        q.success(),
        q.paraphrase(),
        q.redraw(),
        q.redraws(),
        q.locality(),
        q.localitySamples(),
        q.sameTypeLocality(),
        q.sameTypePairs(),
        q.msPerEdit());
  }

  private static String record(Options o, Result r, Quality gen, Quality fit, String command) {
    GeneratorExpertMaker.Options g = o.generator();
    return String.format(
        Locale.ROOT,
        """
        {
          "format": %d,
          "file": "generator-v1.params",
          "host": "host-v1.params",
          "data_version": "%s",
          "scenes_seed": %d,
          "init_seed": %d,
          "generator": {"layer": "%s", "kind": "%s", "rank": %d, "alpha": %s, "width": %d},
          "steps": %d,
          "batch": %d,
          "locality_pairs": %d,
          "locality_weight": %s,
          "learning_rate": %s,
          "train_seconds": %.1f,
          "first_loss": %.4f,
          "last_loss": %.4f,
          "test": {
            "protocol": "test split, first %d samples of the training mix, one counterfactual target each (same question type, not the host's answer, seed 2026); each expert applied alone with gate 1 through ExpertApplier, no routing; paraphrase = held-out phrasing template 0; redraw = variant 1 (edits with an image); locality = 100 unrelated test samples keep the host's answer; same_type_locality = those of them asking the edit's question type",
            "generator": %s,
            "fit": %s
          },
          "command": "%s",
          "trained_at": "%s",
          "cpus": %d
        }
        """,
        GeneratorExpertMaker.FORMAT,
        Scenes.DATA_VERSION,
        Scenes.DEFAULT_SEED,
        o.seed(),
        g.layer(),
        g.kind(),
        g.rank(),
        Float.toString(g.alpha()),
        g.width(),
        r.steps(),
        o.batch(),
        o.localityPairs(),
        Float.toString(o.localityWeight()),
        Float.toString(o.learningRate()),
        r.seconds(),
        r.firstLoss(),
        r.lastLoss(),
        gen.edits(),
        quality(gen),
        quality(fit),
        command,
        Instant.now(),
        Runtime.getRuntime().availableProcessors());
  }
}
