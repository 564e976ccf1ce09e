package io.editdb.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.editdb.store.ExpertKind;
import io.editdb.store.ExpertWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The <i>fit</i> expert maker: turns one edit (an input and the answer it should get) into an
 * expert by optimising only its low-rank weights A (rank x d) and B (d x rank) at a layer of a
 * frozen host, toward the new answer, with a locality term that keeps the host's own answers on
 * unrelated inputs. Stops as soon as the target is the top answer by {@link Options#margin()}
 * logits and every locality input keeps its answer, or after {@link Options#maxSteps()}.
 *
 * <p>The expert it makes is exactly what {@code ExpertApplier} applies: for every token position of
 * the layer's output, {@code delta(h) = gate * alpha * B (A f(h))}, f the identity for {@code LORA}
 * and a parameter-free layer norm followed by relu of the product for {@code LIVEEDIT}. The fit
 * assumes the gate the router will give ({@link Options#gate()}).
 *
 * <pre>{@code
 * FitExpertMaker fit = new FitExpertMaker(host, "blocks.2", FitExpertMaker.Options.defaults());
 * FitExpertMaker.Fit f = fit.fit(HostModel.Input.of(sample), "japan", unrelatedInputs);
 * store.insert(..., f.weights(editId));   // f.seconds(): time this edit took
 * }</pre>
 */
public final class FitExpertMaker {
  private static final float LN_EPS = 1e-5f; // as ExpertApplier's LIVEEDIT layer norm

  /**
   * How to fit.
   *
   * @param rank rows of A (and columns of B)
   * @param kind the expert's form
   * @param alpha the expert's scale, stored with it
   * @param gate the gate the router is expected to give this expert when it applies
   * @param margin logits by which the target must beat every other answer
   * @param maxSteps optimiser steps at most
   * @param learningRate Adam's learning rate
   * @param localityWeight weight of the locality term against the edit's own loss
   * @param seed initialisation of A (B starts at zero, so the expert starts as no change)
   */
  public record Options(
      int rank,
      ExpertKind kind,
      float alpha,
      float gate,
      float margin,
      int maxSteps,
      float learningRate,
      float localityWeight,
      long seed) {
    public Options {
      if (rank < 1
          || rank > 256
          || kind == null
          || !(alpha > 0)
          || !(gate > 0)
          || !(gate <= 1)
          || !(margin >= 0)
          || maxSteps < 1
          || !(learningRate > 0)
          || !(localityWeight >= 0)) {
        throw new IllegalArgumentException(
            "fit needs rank in [1, 256], a kind, alpha > 0, gate in (0, 1], margin >= 0,"
                + " maxSteps >= 1, learningRate > 0, localityWeight >= 0; got rank="
                + rank
                + ", kind="
                + kind
                + ", alpha="
                + alpha
                + ", gate="
                + gate
                + ", margin="
                + margin
                + ", maxSteps="
                + maxSteps
                + ", learningRate="
                + learningRate
                + ", localityWeight="
                + localityWeight
                + "; fix the offending value");
      }
    }

    public static Options defaults() {
      return new Options(4, ExpertKind.LIVEEDIT, 1f, 1f, 2f, 300, 0.01f, 1f, 1);
    }

    public Options withKind(ExpertKind k) {
      return new Options(
          rank, k, alpha, gate, margin, maxSteps, learningRate, localityWeight, seed);
    }
  }

  /**
   * A fitted expert and how the fit went.
   *
   * @param a rank x d, row-major
   * @param b d x rank, row-major
   * @param reached whether the target became top-1 by the margin with every locality answer kept
   * @param margin the target's logit minus the best other logit at the end (gate applied)
   * @param localityKept locality inputs whose answer is unchanged at the end
   */
  public record Fit(
      ExpertKind kind,
      int rank,
      int d,
      float alpha,
      float[] a,
      float[] b,
      boolean reached,
      int steps,
      double seconds,
      float margin,
      int localityKept,
      int localityCount,
      int[] tokenMask) {
    /** A starting point for {@link #fit(HostModel.Input, String, List, Fit, int[])}: an expert. */
    public static Fit start(ExpertWeights w) {
      return new Fit(
          w.kind(),
          w.rank(),
          w.dIn(),
          w.alpha(),
          w.a().clone(),
          w.b().clone(),
          false,
          0,
          0,
          Float.NaN,
          0,
          0,
          w.tokenMask());
    }

    /** The expert as the store keeps it, with the mask it was fitted under (null: all). */
    public ExpertWeights weights(long editId) {
      return new ExpertWeights(
          editId,
          kind,
          rank,
          d,
          d,
          alpha,
          a.clone(),
          b.clone(),
          tokenMask == null ? null : tokenMask.clone());
    }
  }

  private final HostModel host;
  private final String layer;
  private final Options options;

  /**
   * @throws IllegalArgumentException when {@code layer} is not one of the host's
   */
  public FitExpertMaker(HostModel host, String layer, Options options) {
    if (host == null || options == null || !host.layers().contains(layer)) {
      throw new IllegalArgumentException(
          "fit needs a host, options and one of the host's layers; got layer '"
              + layer
              + "'"
              + (host == null ? ", no host" : " of " + host.layers())
              + "; pass a layer the host names");
    }
    this.host = host;
    this.layer = layer;
    this.options = options;
  }

  public Options options() {
    return options;
  }

  /**
   * Fits one expert.
   *
   * @param edit the input whose answer is corrected
   * @param target the answer it should get; one of the host's answers
   * @param locality unrelated inputs whose answers must not change (may be empty)
   */
  public Fit fit(HostModel.Input edit, String target, List<HostModel.Input> locality) {
    return fit(edit, target, locality, null);
  }

  /**
   * Fits one expert starting from {@code from}'s A and B instead of a fresh start: the classic
   * sequential fine-tuning baseline keeps training one update edit after edit this way.
   *
   * @param from an earlier fit of the same kind and rank by a maker of the same host and layer, or
   *     null for a fresh start
   */
  public Fit fit(HostModel.Input edit, String target, List<HostModel.Input> locality, Fit from) {
    return fit(edit, target, locality, from, null);
  }

  /**
   * Fits one expert that acts only on {@code tokenMask}'s positions (VisEdit's region; null: every
   * position), exactly as the applier will apply it: the fit learns under the mask.
   *
   * @throws IllegalArgumentException for a mask position outside the host's sequence
   */
  public Fit fit(
      HostModel.Input edit,
      String target,
      List<HostModel.Input> locality,
      Fit from,
      int[] tokenMask) {
    if (tokenMask != null) {
      for (int p : tokenMask) {
        if (p < 0 || p >= host.sequenceLength()) {
          throw new IllegalArgumentException(
              "a token mask position must be in [0, "
                  + host.sequenceLength()
                  + "); got "
                  + p
                  + "; give positions of the host's sequence");
        }
      }
    }
    int t = host.answers().indexOf(target);
    if (t < 0) {
      throw new IllegalArgumentException(
          "target '"
              + target
              + "' is not one of the host's "
              + host.answers().size()
              + " answers; pick one of host.answers()");
    }
    if (edit == null || locality == null) {
      throw new IllegalArgumentException(
          "fit needs an edit input and a (possibly empty) locality list; got edit="
              + edit
              + ", locality="
              + locality
              + "; pass both");
    }
    long start = System.nanoTime();
    int d = host.hiddenSize();
    int r = options.rank();
    int n = 1 + locality.size();
    int answers = host.answers().size();
    List<HostModel.Input> all = new ArrayList<>(n);
    all.add(edit);
    all.addAll(locality);
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      NDArray h = host.hiddenAt(layer, all, m);
      long[] keep = host.continueFrom(layer, h).argMax(1).toLongArray();
      NDArray x =
          options.kind() == ExpertKind.LIVEEDIT
              ? LayerNorm.layerNorm(
                      h, new Shape(d), m.ones(new Shape(d)), m.zeros(new Shape(d)), LN_EPS)
                  .head()
              : h;
      // Targets and per-row weights: the edit's new answer, the locality inputs' own answers.
      float[] hot = new float[n * answers];
      float[] weight = new float[n];
      hot[t] = 1f;
      weight[0] = 1f;
      for (int i = 1; i < n; i++) {
        hot[i * answers + (int) keep[i]] = 1f;
        weight[i] = options.localityWeight() / locality.size();
      }
      NDArray target1 = m.create(hot, new Shape(n, answers));
      NDArray rowWeight = m.create(weight, new Shape(n));
      Random rnd = new Random(options.seed());
      float[] init = new float[d * r];
      for (int i = 0; i < init.length; i++) {
        init[i] = (float) (rnd.nextGaussian() / Math.sqrt(d));
      }
      NDArray at = m.create(init, new Shape(d, r)); // A transposed: x [n, T, d] times it
      NDArray bt = m.zeros(new Shape(r, d)); // B transposed
      if (from != null) {
        if (from.kind() != options.kind() || from.rank() != r || from.d() != d) {
          throw new IllegalArgumentException(
              "a fit can continue only from a "
                  + options.kind()
                  + " rank-"
                  + r
                  + " expert of width "
                  + d
                  + "; got "
                  + from.kind()
                  + " rank "
                  + from.rank()
                  + ", width "
                  + from.d()
                  + "; start fresh (from = null)");
        }
        at = m.create(transpose(from.a(), r, d), new Shape(d, r));
        bt = m.create(transpose(from.b(), d, r), new Shape(r, d));
      }
      at.setRequiresGradient(true);
      bt.setRequiresGradient(true);
      Optimizer adam =
          Adam.builder().optLearningRateTracker(Tracker.fixed(options.learningRate())).build();
      float scale = options.gate() * options.alpha();
      NDArray region = null; // [1, T, 1]: 1 where the expert acts
      if (tokenMask != null) {
        float[] on = new float[host.sequenceLength()];
        for (int p : tokenMask) {
          on[p] = 1f;
        }
        region = m.create(on, new Shape(1, on.length, 1));
      }
      int steps = 0;
      boolean reached = false;
      float margin = Float.NEGATIVE_INFINITY;
      int kept = 0;
      while (true) {
        try (NDManager s = m.newSubManager()) {
          h.tempAttach(s); // so each step's tensors land in s
          if (x != h) {
            x.tempAttach(s);
          }
          float[] logits;
          try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray u = x.matMul(at);
            if (options.kind() == ExpertKind.LIVEEDIT) {
              u = Activation.relu(u);
            }
            NDArray delta = u.matMul(bt).mul(scale);
            NDArray out =
                host.continueFrom(layer, h.add(region == null ? delta : delta.mul(region)));
            NDArray loss =
                out.logSoftmax(1).mul(target1).sum(new int[] {1}).mul(rowWeight).sum().neg();
            logits = out.toFloatArray();
            margin = margin(logits, 0, answers, t);
            kept = 0;
            for (int i = 1; i < n; i++) {
              kept += argMax(logits, i, answers) == keep[i] ? 1 : 0;
            }
            reached = margin >= options.margin() && kept == n - 1;
            if (reached || steps == options.maxSteps()) {
              break;
            }
            gc.backward(loss);
          }
          OptimizerSteps.step(adam, Map.of("a", at, "b", bt), s);
          steps++;
        }
      }
      float[] a = transpose(at.toFloatArray(), d, r);
      float[] b = transpose(bt.toFloatArray(), r, d);
      return new Fit(
          options.kind(),
          r,
          d,
          options.alpha(),
          a,
          b,
          reached,
          steps,
          (System.nanoTime() - start) / 1e9,
          margin,
          kept,
          n - 1,
          tokenMask == null ? null : java.util.Arrays.stream(tokenMask).sorted().toArray());
    }
  }

  /** A row-major rows x cols matrix, transposed (row-major cols x rows). */
  private static float[] transpose(float[] v, int rows, int cols) {
    float[] out = new float[v.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        out[j * rows + i] = v[i * cols + j];
      }
    }
    return out;
  }

  private static float margin(float[] logits, int row, int width, int target) {
    float best = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < width; j++) {
      if (j != target) {
        best = Math.max(best, logits[row * width + j]);
      }
    }
    return logits[row * width + target] - best;
  }

  private static int argMax(float[] logits, int row, int width) {
    int best = 0;
    for (int j = 1; j < width; j++) {
      if (logits[row * width + j] > logits[row * width + best]) {
        best = j;
      }
    }
    return best;
  }

  @Override
  public String toString() {
    return "FitExpertMaker{host=" + host.name() + ", layer=" + layer + ", " + options + "}";
  }
}
