package io.editdb.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The scene host's visual key head: a small MLP over the stem's visual tokens (flattened, 16 x
 * d), trained contrastively on the train split so that another drawing of the same content (the
 * benchmark's image rephrase: new pose, scale, colour jitter, background, noise) lands near the
 * original and other content far; what CLIP's image embedding gives LiveEdit. The host's answers
 * do not change: the head only keys edits. Its tensors ({@code keys.w1, keys.b1, keys.w2,
 * keys.b2}) live in the host's weights file.
 *
 * <p>Why: the mean of the visual tokens, the key before this head, put another drawing of a
 * validation sample nearest its original among 400 others in 61.5% of cases; at similarity 0.8
 * 6.4% of other pictures of the same kind passed the hard filter too, so with a thousand edits
 * dozens of experts competed for every query. Trained 40 seconds, the head already gave 95% and
 * 0.12%.
 *
 * <p>Loss: symmetric InfoNCE over a batch of (drawing, redrawing) pairs, temperature 0.07; pairs
 * of the same entity are not counted as negatives.
 */
public final class VisualKeys {
  static final String[] TENSORS = {"keys.w1", "keys.b1", "keys.w2", "keys.b2"};
  private static final int HIDDEN = 256;
  private static final float TEMPERATURE = 0.07f;

  private VisualKeys() {}

  /** How a head is trained. */
  record Options(int steps, int batch, float learningRate, long seed, double maxSeconds) {
    static Options defaults() {
      return new Options(3000, 128, 1e-3f, 1, 6 * 60);
    }
  }

  /** What a run did: the head's tensors (caller closes their manager) and its losses. */
  record Result(Map<String, NDArray> head, int steps, double seconds, float firstLoss,
      float lastLoss) {}

  static boolean hasHead(Map<String, NDArray> params) {
    return params.containsKey(TENSORS[0]);
  }

  /** Keys (not yet unit length) {@code [n, d]} of visual tokens {@code [n, 16, d]}. */
  static NDArray project(NDArray tokens, Map<String, NDArray> p) {
    NDArray flat = tokens.reshape(tokens.getShape().get(0), -1);
    NDArray h = Activation.relu(flat.matMul(p.get("keys.w1")).add(p.get("keys.b1")));
    return h.matMul(p.get("keys.w2")).add(p.get("keys.b2"));
  }

  /** Trains a fresh head for {@code host} (its own tensors untouched), in {@code m}. */
  static Result train(SceneHost host, Scenes scenes, Options o, NDManager m,
      Consumer<String> log) {
    int d = host.hiddenSize();
    int in = 16 * d;
    Random init = new Random(o.seed());
    Map<String, NDArray> p = new LinkedHashMap<>();
    p.put("keys.w1", SceneHost.normal(m, init, Math.sqrt(2.0 / in), in, HIDDEN));
    p.put("keys.b1", m.zeros(new Shape(HIDDEN)));
    p.put("keys.w2", SceneHost.normal(m, init, Math.sqrt(1.0 / HIDDEN), HIDDEN, d));
    p.put("keys.b2", m.zeros(new Shape(d)));
    for (NDArray t : p.values()) {
      t.setRequiresGradient(true);
    }
    Optimizer adam = Adam.builder().optLearningRateTracker(Tracker.fixed(o.learningRate()))
        .build();
    Random rnd = new Random(Scenes.mix(o.seed(), 0x6E75L));
    long next = 0;
    long start = System.nanoTime();
    float first = Float.NaN;
    float last = Float.NaN;
    int step = 0;
    int n = o.batch();
    while (step < o.steps() && (System.nanoTime() - start) / 1e9 < o.maxSeconds()) {
      List<Sample> ss = new ArrayList<>(n);
      List<BufferedImage> xs = new ArrayList<>(n);
      List<BufferedImage> ys = new ArrayList<>(n);
      while (ss.size() < n) {
        Sample s = scenes.sample(Split.TRAIN, next++);
        if (s.hasImage()) {
          ss.add(s);
          xs.add(s.image());
          ys.add(scenes.redraw(s, 1 + rnd.nextInt(1000)).image());
        }
      }
      float[] mask = new float[n * n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          int e = ss.get(i).entityId();
          if (i != j && e >= 0 && e == ss.get(j).entityId()) {
            mask[i * n + j] = -1e4f; // the same company drawn twice is no negative
          }
        }
      }
      try (NDManager q = m.newSubManager()) {
        NDArray tx = host.visualTokens(xs, q);
        NDArray ty = host.visualTokens(ys, q);
        NDArray eye = q.eye(n);
        NDArray notSame = q.create(mask, new Shape(n, n));
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
          NDArray kx = unit(project(tx, p));
          NDArray ky = unit(project(ty, p));
          NDArray logits = kx.matMul(ky.transpose()).div(TEMPERATURE).add(notSame);
          NDArray loss = logits.logSoftmax(1).mul(eye).sum().neg()
              .add(logits.transpose().logSoftmax(1).mul(eye).sum().neg()).div(n);
          last = loss.getFloat();
          gc.backward(loss);
        }
        OptimizerSteps.step(adam, p, q);
      }
      if (step == 0) {
        first = last;
      }
      if (log != null && step % 100 == 0) {
        log.accept(String.format(Locale.ROOT, "step %d loss %.3f %.0f s", step, last,
            (System.nanoTime() - start) / 1e9));
      }
      step++;
    }
    for (NDArray t : p.values()) {
      t.setRequiresGradient(false);
    }
    return new Result(p, step, (System.nanoTime() - start) / 1e9, first, last);
  }

  private static NDArray unit(NDArray k) {
    return k.div(k.norm(new int[] {1}, true).maximum(1e-6f));
  }

  /**
   * How well keys tell content apart, on {@code n} validation pictures and another drawing of
   * each: how often the redrawing's nearest original is its own, and at each threshold the share
   * of redrawings that pass and of other pictures of the same kind that pass too.
   */
  record Quality(double nearest, double[] thresholds, double[] redrawPasses,
      double[] othersPass) {}

  static Quality measure(SceneHost host, Scenes scenes, int n, double[] thresholds) {
    List<Sample> vs = new ArrayList<>(n);
    for (long i = 0; vs.size() < n; i++) {
      Sample s = scenes.sample(Split.VALIDATION, i);
      if (s.hasImage()) {
        vs.add(s);
      }
    }
    float[][] k = host.visualKeys(vs.stream().map(Sample::image).toList());
    float[][] r = host.visualKeys(vs.stream().map(s -> scenes.redraw(s, 1).image()).toList());
    int nearest = 0;
    double[] redraw = new double[thresholds.length];
    double[] others = new double[thresholds.length];
    long pairs = 0;
    for (int i = 0; i < n; i++) {
      double self = dot(k[i], r[i]);
      double best = -2;
      for (int j = 0; j < n; j++) {
        boolean same = vs.get(i).entityId() >= 0 && vs.get(i).entityId() == vs.get(j).entityId();
        if (j == i || same) {
          continue;
        }
        best = Math.max(best, dot(r[i], k[j]));
        if (vs.get(i).type().kind() == vs.get(j).type().kind()) {
          pairs++;
          for (int t = 0; t < thresholds.length; t++) {
            others[t] += dot(k[i], k[j]) >= thresholds[t] ? 1 : 0;
          }
        }
      }
      nearest += self > best ? 1 : 0;
      for (int t = 0; t < thresholds.length; t++) {
        redraw[t] += self >= thresholds[t] ? 1 : 0;
      }
    }
    for (int t = 0; t < thresholds.length; t++) {
      redraw[t] /= n;
      others[t] /= pairs;
    }
    return new Quality(nearest / (double) n, thresholds, redraw, others);
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }


  /**
   * {@code editdb host keys [--steps 3000] [--minutes 6] [--seed 1] [--out DIR]}: trains the
   * shipped host's key head and writes the host's weights with it, and {@code visual-keys-v1.json}
   * (seed, command, data version, time and quality before and after) beside them.
   */
  public static void main(String[] args) throws IOException {
    Options o = Options.defaults();
    Path out = Paths.get("model/src/main/resources/io/editdb/model");
    int steps = o.steps();
    double minutes = o.maxSeconds() / 60;
    long seed = o.seed();
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--steps" -> steps = Integer.parseInt(args[i + 1]);
        case "--minutes" -> minutes = Double.parseDouble(args[i + 1]);
        case "--seed" -> seed = Long.parseLong(args[i + 1]);
        case "--out" -> out = Paths.get(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option '" + args[i]
            + "'; use --steps N, --minutes M, --seed S or --out DIR");
      }
    }
    o = new Options(steps, o.batch(), o.learningRate(), seed, minutes * 60);
    Scenes scenes = Scenes.standard();
    double[] thresholds = {0.6, 0.7, 0.8, 0.9};
    try (SceneHost host = SceneHost.load();
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      host.removeKeyHead();
      Quality before = measure(host, scenes, 400, thresholds);
      Result r = train(host, scenes, o, m, System.out::println);
      host.putKeyHead(r.head());
      Quality after = measure(host, scenes, 400, thresholds);
      Files.createDirectories(out);
      try (OutputStream w = Files.newOutputStream(out.resolve("host-v1.params"))) {
        host.save(w);
      }
      String json = String.format(Locale.ROOT, """
          {
            "what": "visual key head of the scene host (tensors keys.* in host-v1.params)",
            "data_version": "%s",
            "seed": %d,
            "command": "editdb host keys --steps %d --minutes %s --seed %d",
            "steps": %d,
            "seconds": %.0f,
            "loss_first": %.4f,
            "loss_last": %.4f,
            "validation_pictures": 400,
            "thresholds": %s,
            "before": {"redraw_nearest": %.4f, "redraw_passes": %s, "others_pass": %s},
            "after": {"redraw_nearest": %.4f, "redraw_passes": %s, "others_pass": %s}
          }
          """, Scenes.DATA_VERSION, seed, steps, minutes, seed, r.steps(), r.seconds(),
          r.firstLoss(), r.lastLoss(), list(thresholds), before.nearest(),
          list(before.redrawPasses()), list(before.othersPass()), after.nearest(),
          list(after.redrawPasses()), list(after.othersPass()));
      Files.writeString(out.resolve("visual-keys-v1.json"), json);
      System.out.print(json);
    }
  }

  private static String list(double[] v) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", v[i]));
    }
    return sb.append(']').toString();
  }
}
