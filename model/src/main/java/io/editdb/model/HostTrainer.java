package io.editdb.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.editdb.model.QuestionType.Kind;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Trains {@link SceneHost} on the train split of {@link Scenes} on the CPU, and measures it. Every
 * batch is freshly drawn (sample indices never repeat), so the host never sees a test drawing and
 * never a held-out phrasing. Adam with a linear warm-up and a cosine decay; cross entropy over the
 * answer vocabulary.
 *
 * <p>Command line (later {@code editdb host train}); writes {@code host-v1.params} and {@code
 * host-v1.json} (seed, command, data version, accuracies, time) into {@code --out}:
 *
 * <pre>
 * java -cp ... io.editdb.model.HostTrainer [--steps 9000] [--minutes 19] [--batch 128]
 *     [--lr 0.003] [--seed 1] [--eval 2000] [--out model/src/main/resources/io/editdb/model]
 * </pre>
 */
public final class HostTrainer {
  private HostTrainer() {}

  /**
   * How to train.
   *
   * @param steps optimizer steps (at most; {@code maxSeconds} may stop earlier)
   * @param batch samples per step
   * @param learningRate peak Adam learning rate
   * @param seed initialisation seed; the data's seed is the {@link Scenes}'
   * @param maxSeconds wall-clock limit of the training loop; the schedule still assumes {@code
   *     steps}
   */
  public record Options(
      HostConfig config, int steps, int batch, float learningRate, long seed, double maxSeconds) {
    public Options {
      if (config == null
          || steps < 1
          || batch < 1
          || batch > 4096
          || !(learningRate > 0)
          || !(learningRate < 1)
          || !(maxSeconds > 0)) {
        throw new IllegalArgumentException(
            "training needs a config, steps >= 1, batch in [1, 4096], learning rate in (0, 1) and"
                + " a positive time limit; got config="
                + config
                + ", steps="
                + steps
                + ", batch="
                + batch
                + ", lr="
                + learningRate
                + ", maxSeconds="
                + maxSeconds
                + "; fix the offending value");
      }
    }

    /** What the shipped weights were trained with. */
    public static Options defaults() {
      return new Options(HostConfig.DEFAULT, 9000, 128, 3e-3f, 1, 19 * 60);
    }
  }

  /** What a training run did; {@code host} is the caller's to close. */
  public record Result(
      SceneHost host, int steps, double seconds, float firstLoss, float lastLoss) {}

  /** Answer accuracy of a host on {@code n} samples of one split and phrasing. */
  public record Evaluation(double accuracy, Map<QuestionType, Double> byType, int samples) {}

  /** Trains a fresh host; {@code log} receives progress lines. */
  public static Result train(Options o, Scenes scenes, Consumer<String> log) {
    SceneHost host = SceneHost.initialize(o.config(), scenes, o.seed());
    boolean ok = false;
    try {
      Result r = run(host, o, scenes, log);
      ok = true;
      return r;
    } finally {
      if (!ok) {
        host.close();
      }
    }
  }

  private record Batch(List<HostModel.Input> inputs, long[] labels) {}

  private static Result run(SceneHost host, Options o, Scenes scenes, Consumer<String> log) {
    int warmup = Math.max(1, Math.min(300, o.steps() / 10));
    long start = System.nanoTime();
    // Decays by steps or by time, whichever runs out first, so a run cut short by its time
    // limit still ends at a small learning rate.
    Tracker schedule =
        n -> {
          if (n < warmup) {
            return o.learningRate() * (n + 1) / warmup;
          }
          double bySteps = (n - warmup) / (double) Math.max(1, o.steps() - warmup);
          double byTime = (System.nanoTime() - start) / 1e9 / o.maxSeconds();
          double progress = Math.min(1.0, Math.max(bySteps, byTime));
          return (float)
              (o.learningRate() * (0.02 + 0.98 * 0.5 * (1 + Math.cos(Math.PI * progress))));
        };
    Optimizer adam = Adam.builder().optLearningRateTracker(schedule).build();
    for (NDArray p : host.parameters().values()) {
      p.setRequiresGradient(true);
    }
    BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(4);
    AtomicReference<RuntimeException> failed = new AtomicReference<>();
    // Draws the next batches while the current one trains; Java2D and PyTorch overlap.
    Thread producer =
        Thread.ofPlatform()
            .name("editdb-host-batches")
            .daemon()
            .start(
                () -> {
                  try {
                    for (int s = 0; ; s++) {
                      queue.put(batch(scenes, (long) s * o.batch(), o.batch()));
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  } catch (RuntimeException e) {
                    failed.set(e);
                  }
                });
    int answers = host.answers().size();
    float first = Float.NaN;
    float last = Float.NaN;
    double emaLoss = Double.NaN;
    int step = 0;
    int skipped = 0;
    try {
      while (step < o.steps() && (System.nanoTime() - start) / 1e9 < o.maxSeconds()) {
        Batch b = queue.poll(1, TimeUnit.SECONDS);
        if (b == null) {
          if (failed.get() != null) {
            throw new IllegalStateException("drawing training batches failed", failed.get());
          }
          continue;
        }
        float loss;
        try (NDManager m = host.newScope()) {
          try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray logits = host.forward(b.inputs(), m);
            float[] hot = new float[b.labels().length * answers];
            for (int i = 0; i < b.labels().length; i++) {
              hot[i * answers + (int) b.labels()[i]] = 1f;
            }
            NDArray target = m.create(hot, new Shape(b.labels().length, answers));
            NDArray l = logits.logSoftmax(1).mul(target).sum(new int[] {1}).mean().neg();
            gc.backward(l);
            loss = l.getFloat();
          }
          // a non-finite loss always brings non-finite gradients: the step is not applied
          boolean finite = OptimizerSteps.step(adam, host.parameters(), m);
          if (!finite) {
            skipped++;
            log.accept(
                "HostTrainer - step "
                    + step
                    + " skipped: loss "
                    + loss
                    + " or its gradients are not finite ("
                    + skipped
                    + " skipped so far)");
            continue;
          }
        }
        step++;
        first = Float.isNaN(first) ? loss : first;
        last = loss;
        emaLoss = Double.isNaN(emaLoss) ? loss : 0.98 * emaLoss + 0.02 * loss;
        if (step % 100 == 0 || step == o.steps()) {
          log.accept(
              String.format(
                  Locale.ROOT,
                  "HostTrainer - step %d/%d loss %.4f (avg %.4f) %.0fs",
                  step,
                  o.steps(),
                  loss,
                  emaLoss,
                  (System.nanoTime() - start) / 1e9));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("training interrupted at step " + step, e);
    } finally {
      producer.interrupt();
      for (NDArray p : host.parameters().values()) {
        p.setRequiresGradient(false);
      }
    }
    return new Result(host, step, (System.nanoTime() - start) / 1e9, first, last);
  }

  private static Batch batch(Scenes scenes, long from, int n) {
    List<HostModel.Input> in = new ArrayList<>(n);
    long[] labels = new long[n];
    for (int i = 0; i < n; i++) {
      Sample s = scenes.sample(Split.TRAIN, from + i);
      in.add(HostModel.Input.of(s));
      labels[i] = scenes.answerId(s.answer());
    }
    return new Batch(in, labels);
  }

  /**
   * The share of {@code n} samples (indices 0..n-1 of the split, in the training mix of kinds, or
   * only {@code kind} when it is not null) whose top answer is right.
   */
  public static Evaluation evaluate(
      HostModel host, Scenes scenes, Split split, Phrasing phrasing, Kind kind, int n) {
    if (n < 1) {
      throw new IllegalArgumentException(
          "an evaluation needs at least one sample; n=" + n + "; pass n >= 1");
    }
    Map<QuestionType, int[]> counts = new EnumMap<>(QuestionType.class);
    int right = 0;
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
      for (int from = 0; from < n; from += 256) {
        List<Sample> samples = new ArrayList<>();
        for (int i = from; i < Math.min(n, from + 256); i++) {
          samples.add(scenes.sample(split, i, kind, phrasing, 0));
        }
        try (NDManager chunk = m.newSubManager()) {
          long[] best =
              host.logits(samples.stream().map(HostModel.Input::of).toList(), chunk)
                  .argMax(1)
                  .toLongArray();
          for (int i = 0; i < best.length; i++) {
            Sample s = samples.get(i);
            boolean ok = host.answers().get((int) best[i]).equals(s.answer());
            right += ok ? 1 : 0;
            int[] c = counts.computeIfAbsent(s.type(), t -> new int[2]);
            c[0] += ok ? 1 : 0;
            c[1]++;
          }
        }
      }
    }
    Map<QuestionType, Double> byType = new EnumMap<>(QuestionType.class);
    counts.forEach((t, c) -> byType.put(t, c[0] / (double) c[1]));
    return new Evaluation(right / (double) n, byType, n);
  }

  /** Trains the shipped host and writes its weights and record; see the class comment. */
  public static void main(String[] args) throws IOException {
    Options d = Options.defaults();
    int steps = d.steps();
    int batch = d.batch();
    float lr = d.learningRate();
    long seed = d.seed();
    double minutes = d.maxSeconds() / 60;
    int eval = 2000;
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
        case "--seed" -> seed = Long.parseLong(v);
        case "--minutes" -> minutes = Double.parseDouble(v);
        case "--eval" -> eval = Integer.parseInt(v);
        case "--out" -> out = Path.of(v);
        default -> throw new IllegalArgumentException(usage(a));
      }
    }
    Options o = new Options(HostConfig.DEFAULT, steps, batch, lr, seed, minutes * 60);
    Scenes scenes = Scenes.standard();
    System.out.println("HostTrainer - " + o + " on " + Scenes.DATA_VERSION);
    Result r = train(o, scenes, System.out::println);
    try (SceneHost host = r.host()) {
      Evaluation test = evaluate(host, scenes, Split.TEST, Phrasing.TRAIN, null, eval);
      Evaluation held = evaluate(host, scenes, Split.TEST, Phrasing.HELD_OUT, null, eval);
      System.out.printf(
          Locale.ROOT,
          "HostTrainer - %d steps in %.0fs; test accuracy %.4f, held-out"
              + " phrasings %.4f%n  by type %s%n",
          r.steps(),
          r.seconds(),
          test.accuracy(),
          held.accuracy(),
          test.byType());
      Files.createDirectories(out);
      try (OutputStream w = Files.newOutputStream(out.resolve("host-v1.params"))) {
        host.save(w);
      }
      String command = "java ... io.editdb.model.HostTrainer " + String.join(" ", args);
      Files.writeString(
          out.resolve("host-v1.json"), record(o, r, test, held, command), StandardCharsets.UTF_8);
    }
  }

  private static String usage(String arg) {
    return "unknown or incomplete argument '"
        + arg
        + "'; use --steps N --batch N --lr X --seed N"
        + " --minutes X --eval N --out DIR";
  }

  private static String record(
      Options o, Result r, Evaluation test, Evaluation held, String command) {
    StringBuilder types = new StringBuilder();
    test.byType()
        .forEach(
            (t, a) ->
                types
                    .append(types.isEmpty() ? "" : ", ")
                    .append(String.format(Locale.ROOT, "\"%s\": %.4f", t.name(), a)));
    HostConfig c = o.config();
    return String.format(
        Locale.ROOT,
        """
        {
          "format": %d,
          "file": "host-v1.params",
          "data_version": "%s",
          "scenes_seed": %d,
          "init_seed": %d,
          "config": {"hidden": %d, "layers": %d, "heads": %d, "mlp": %d, "question_tokens": %d},
          "steps": %d,
          "batch": %d,
          "learning_rate": %s,
          "train_seconds": %.1f,
          "first_loss": %.4f,
          "last_loss": %.4f,
          "test_samples": %d,
          "test_accuracy": %.4f,
          "test_accuracy_held_out_phrasings": %.4f,
          "test_accuracy_by_type": {%s},
          "command": "%s",
          "trained_at": "%s",
          "cpus": %d
        }
        """,
        HostWeights.FORMAT,
        Scenes.DATA_VERSION,
        Scenes.DEFAULT_SEED,
        o.seed(),
        c.hidden(),
        c.layers(),
        c.heads(),
        c.mlp(),
        c.questionTokens(),
        r.steps(),
        o.batch(),
        Float.toString(o.learningRate()),
        r.seconds(),
        r.firstLoss(),
        r.lastLoss(),
        test.samples(),
        test.accuracy(),
        held.accuracy(),
        types,
        command,
        Instant.now(),
        Runtime.getRuntime().availableProcessors());
  }
}
