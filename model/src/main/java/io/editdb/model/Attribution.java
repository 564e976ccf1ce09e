package io.editdb.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.editdb.model.QuestionType.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * How much each token position at a layer contributes to one answer of a {@link HostModel}: the
 * attribution VisEdit uses to choose where to edit. Two methods, both over the layer's hidden
 * states {@code h} of one (image, question):
 *
 * <ul>
 *   <li><b>Integrated gradients</b> of the answer's logit, from the baseline {@code h0} = the
 *       hidden states at the same layer of the same question asked with no image, to {@code h},
 *       with the trapezoid rule over {@code steps} intervals; a position's score is {@code sum_d (h
 *       - h0) * mean gradient}. The no-image input is the baseline because it keeps the question
 *       and removes exactly what the picture put into every position (text positions too, through
 *       attention), and it is a state the host really produces. Zero hidden states were tried first
 *       and rejected: the blocks layer-normalise their input, which is scale invariant, so along
 *       the path {@code alpha * h} the logit jumps near {@code alpha = 0} and the rule misses it
 *       (completeness gaps of 20x the logit difference at 64 steps). The scores sum to {@code
 *       logit(h) - logit(h0)} up to the quadrature error, reported as {@link
 *       Result#completenessGap()}.
 *   <li><b>Noise perturbation</b>: the drop of the answer's probability when Gaussian noise of
 *       standard deviation {@code noiseScale} times the standard deviation of {@code h} is added to
 *       one position's hidden state, averaged over {@code draws} seeded draws. Positive: the answer
 *       rests on that position.
 * </ul>
 *
 * <p>All interpolation steps (and all perturbed copies) go through {@link HostModel#continueFrom}
 * as one batch.
 *
 * <pre>{@code
 * Attribution a = new Attribution(host, Attribution.Options.defaults());
 * Attribution.Result r = a.attribute(HostModel.Input.of(sample), sample.answer(), "blocks.1");
 * float[] ig = r.integratedGradients(); // one score per position; r.visual() marks visual ones
 * }</pre>
 */
public final class Attribution {

  /**
   * Settings.
   *
   * @param steps trapezoid intervals for integrated gradients (32 keeps the completeness gap under
   *     about 1% on the shipped host; see the tests)
   * @param noiseScale noise standard deviation as a multiple of the hidden states' own
   * @param draws noise draws averaged per position
   * @param seed seeds the noise; equal seeds give equal scores
   */
  public record Options(int steps, float noiseScale, int draws, long seed) {
    public static final int DEFAULT_STEPS = 32;

    public Options {
      if (steps < 1 || steps > 4096) {
        throw new IllegalArgumentException(
            "steps must be in [1, 4096]; steps=" + steps + "; use e.g. " + DEFAULT_STEPS);
      }
      if (!(noiseScale > 0) || !Float.isFinite(noiseScale)) {
        throw new IllegalArgumentException(
            "noiseScale must be positive and finite; noiseScale=" + noiseScale + "; use e.g. 1");
      }
      if (draws < 1 || draws > 256) {
        throw new IllegalArgumentException(
            "draws must be in [1, 256]; draws=" + draws + "; use e.g. 4");
      }
    }

    /** 32 steps, noise of one standard deviation, 4 draws, seed 1. */
    public static Options defaults() {
      return new Options(DEFAULT_STEPS, 1f, 4, 1);
    }

    public Options withSteps(int s) {
      return new Options(s, noiseScale, draws, seed);
    }

    public Options withSeed(long s) {
      return new Options(steps, noiseScale, draws, s);
    }
  }

  /**
   * Attribution of one answer at one layer.
   *
   * @param layer the layer
   * @param answer the answer attributed
   * @param visual which positions hold visual tokens
   * @param integratedGradients one score per position; they sum to about {@code logit -
   *     baselineLogit}
   * @param noise per position, the answer's probability minus its mean probability when that
   *     position is perturbed
   * @param logit the answer's logit at {@code h}
   * @param baselineLogit the answer's logit at the baseline {@code h0} (the no-image input)
   * @param probability the answer's probability at {@code h}
   */
  public record Result(
      String layer,
      String answer,
      boolean[] visual,
      float[] integratedGradients,
      float[] noise,
      float logit,
      float baselineLogit,
      float probability) {

    /** Sum of the integrated-gradient scores minus {@code logit - baselineLogit}. */
    public float completenessGap() {
      double sum = 0;
      for (float v : integratedGradients) {
        sum += v;
      }
      return (float) (sum - (logit - baselineLogit));
    }

    /** {@link #completenessGap()} relative to {@code |logit - baselineLogit|}. */
    public float relativeCompletenessGap() {
      return Math.abs(completenessGap()) / Math.max(1e-6f, Math.abs(logit - baselineLogit));
    }

    /**
     * The {@code k} visual positions with the largest positive integrated-gradient scores,
     * ascending: the region a VisEdit edit acts on ({@code token_mask 'TOP k'}). Fewer than {@code
     * k} when fewer visual positions carry positive attribution.
     *
     * @throws IllegalArgumentException when no visual position carries positive attribution here
     *     (after the last block of the scene host, say): no region to edit
     */
    public int[] top(int k) {
      if (k < 1) {
        throw new IllegalArgumentException(
            "k must be at least 1; k=" + k + "; ask for the number of visual tokens to edit");
      }
      return region(k, Double.NaN);
    }

    /**
     * The positions a region rule ({@code TOP k} or {@code MASS p}) chooses here: {@link #top} or
     * {@link #mass}.
     *
     * @throws IllegalArgumentException as they do, and for any other rule
     */
    public int[] region(io.editdb.query.HostBinding.Region rule) {
      return switch (rule) {
        case io.editdb.query.HostBinding.Region.Top t -> top(t.k());
        case io.editdb.query.HostBinding.Region.Mass m -> mass(m.share());
        default ->
            throw new IllegalArgumentException(
                "a region chosen by attribution is TOP k or MASS p; got "
                    + rule
                    + "; give one of those");
      };
    }

    /**
     * {@link #region} in a query, or none when no visual position carries positive attribution (a
     * text-only question, say): the edit then acts nowhere in this query.
     */
    public int[] regionOrNone(io.editdb.query.HostBinding.Region rule) {
      for (int t = 0; t < visual.length; t++) {
        if (visual[t] && integratedGradients[t] > 0) {
          return region(rule);
        }
      }
      return new int[0];
    }

    /**
     * The fewest visual positions, largest positive scores first, whose scores add up to at least
     * {@code share} of the positive visual total ({@code token_mask 'MASS p'}), ascending.
     *
     * @throws IllegalArgumentException for a share outside (0, 1], or as {@link #top}
     */
    public int[] mass(double share) {
      if (!(share > 0 && share <= 1)) {
        throw new IllegalArgumentException(
            "share must be in (0, 1]; share="
                + share
                + "; e.g. 0.5 for the tokens carrying half the attribution");
      }
      return region(Integer.MAX_VALUE, share);
    }

    private int[] region(int k, double share) {
      List<Integer> order = new ArrayList<>();
      double total = 0;
      for (int t = 0; t < visual.length; t++) {
        if (visual[t] && integratedGradients[t] > 0) {
          order.add(t);
          total += integratedGradients[t];
        }
      }
      if (order.isEmpty()) {
        throw new IllegalArgumentException(
            "no visual token carries positive attribution to '"
                + answer
                + "' at "
                + layer
                + " (the answer rests on other positions there), so"
                + " there is no region to edit; edit at an earlier layer, where ATTRIBUTION shows"
                + " visual tokens with positive scores, or leave token_mask out");
      }
      order.sort((a, b) -> Float.compare(integratedGradients[b], integratedGradients[a]));
      List<Integer> chosen = new ArrayList<>();
      double sum = 0;
      for (int t : order) {
        if (chosen.size() == k || (!Double.isNaN(share) && sum >= share * total)) {
          break;
        }
        chosen.add(t);
        sum += integratedGradients[t];
      }
      return chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** Share of the total |integrated gradients| that lies on visual positions. */
    public float visualShare() {
      double vis = 0;
      double all = 0;
      for (int t = 0; t < integratedGradients.length; t++) {
        double a = Math.abs(integratedGradients[t]);
        all += a;
        vis += visual[t] ? a : 0;
      }
      return all == 0 ? 0f : (float) (vis / all);
    }
  }

  private final HostModel host;
  private final Options options;

  public Attribution(HostModel host, Options options) {
    if (host == null || options == null) {
      throw new IllegalArgumentException(
          "attribution needs a host and options; got host="
              + host
              + ", options="
              + options
              + "; pass e.g. SceneHost.load() and Options.defaults()");
    }
    this.host = host;
    this.options = options;
  }

  public Options options() {
    return options;
  }

  /** Attribution of {@code answer} at every layer of the host, in forward order. */
  public List<Result> attributeAll(HostModel.Input input, String answer) {
    List<Result> out = new ArrayList<>();
    for (String layer : host.layers()) {
      out.add(attribute(input, answer, layer));
    }
    return out;
  }

  /**
   * Attribution of {@code answer} at {@code layer}.
   *
   * @throws IllegalArgumentException for a null argument, an unknown layer or an answer the host
   *     does not have
   */
  public Result attribute(HostModel.Input input, String answer, String layer) {
    if (input == null || answer == null || layer == null) {
      throw new IllegalArgumentException(
          "attribution needs an input, an answer and a layer; got input="
              + input
              + ", answer="
              + answer
              + ", layer="
              + layer
              + "; pass e.g. HostModel.Input.of(sample)");
    }
    if (!host.layers().contains(layer)) {
      throw new IllegalArgumentException(
          "layer must be one of the host's layers "
              + host.layers()
              + "; layer="
              + layer
              + "; pass one of those names");
    }
    int a = host.answers().indexOf(answer);
    if (a < 0) {
      throw new IllegalArgumentException(
          "answer must be one of the host's "
              + host.answers().size()
              + " answers; answer="
              + answer
              + "; pass an entry of host.answers()");
    }
    int tokens = host.sequenceLength();
    int d = host.hiddenSize();
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      NDArray h = host.hiddenAt(layer, List.of(input), m); // [1, T, d]
      float[] hv = h.toFloatArray();
      float[] h0 =
          host.hiddenAt(layer, List.of(new HostModel.Input(null, input.question())), m)
              .toFloatArray();

      // Integrated gradients: alpha = k / steps for k = 0..steps, one batch.
      int n = options.steps() + 1;
      float[] path = new float[n * tokens * d];
      for (int k = 0; k < n; k++) {
        float alpha = (float) k / options.steps();
        int off = k * hv.length;
        for (int i = 0; i < hv.length; i++) {
          path[off + i] = h0[i] + alpha * (hv[i] - h0[i]);
        }
      }
      NDArray x = m.create(path, new Shape(n, tokens, d));
      x.setRequiresGradient(true);
      float[] grad;
      float[] ends;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray logits = host.continueFrom(layer, x);
        NDArray target = logits.get(":, " + a);
        ends = target.toFloatArray();
        gc.backward(target.sum());
        grad = x.getGradient().toFloatArray();
      }
      float[] ig = new float[tokens];
      for (int k = 0; k < n; k++) {
        float w = (k == 0 || k == n - 1) ? 0.5f : 1f;
        int off = k * hv.length;
        for (int t = 0; t < tokens; t++) {
          double s = 0;
          for (int j = 0; j < d; j++) {
            int i = t * d + j;
            s += (hv[i] - h0[i]) * grad[off + i];
          }
          ig[t] += (float) (w * s / options.steps());
        }
      }

      // Noise: draws copies per position plus the clean one, one batch.
      double mean = 0;
      for (float v : hv) {
        mean += v;
      }
      mean /= hv.length;
      double var = 0;
      for (float v : hv) {
        var += (v - mean) * (v - mean);
      }
      float sigma = (float) (options.noiseScale() * Math.sqrt(var / hv.length));
      Random r = new Random(options.seed());
      int rows = 1 + tokens * options.draws();
      float[] noisy = new float[rows * hv.length];
      for (int row = 0; row < rows; row++) {
        System.arraycopy(hv, 0, noisy, row * hv.length, hv.length);
        if (row > 0) {
          int t = (row - 1) / options.draws();
          int off = row * hv.length + t * d;
          for (int j = 0; j < d; j++) {
            noisy[off + j] += (float) (sigma * r.nextGaussian());
          }
        }
      }
      float[] p =
          host.continueFrom(layer, m.create(noisy, new Shape(rows, tokens, d)))
              .softmax(1)
              .get(":, " + a)
              .toFloatArray();
      float[] drop = new float[tokens];
      for (int row = 1; row < rows; row++) {
        drop[(row - 1) / options.draws()] += (p[0] - p[row]) / options.draws();
      }
      return new Result(
          layer, answer, host.visualPositions(), ig, drop, ends[n - 1], ends[0], p[0]);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The check on the drawings

  /**
   * How well attribution finds the asked object, per layer: the share of the top-{@code k} visual
   * tokens (by score) that cover the object the question asks about, for integrated gradients, for
   * noise, and for tokens drawn at random (its expectation: the covered share of the visual
   * tokens); and the layer profile, the mean share of |integrated gradients| on visual tokens.
   *
   * @param layers the host's layers, in order; every array below is indexed like it
   * @param samples samples scored
   * @param completenessGap mean relative completeness gap of integrated gradients
   * @param millisPerAttribution wall time of one {@link #attribute} call (both methods)
   */
  public record Localisation(
      List<String> layers,
      int k,
      int samples,
      double[] integratedGradients,
      double[] noise,
      double[] random,
      double[] visualShare,
      double completenessGap,
      double millisPerAttribution) {}

  /**
   * Scores {@code n} test samples of each of the ENTITY and OBJECTS kinds (the logo, or the first
   * object, which is the one a scene's question is about; counting questions, which are about every
   * object, are skipped) and compares the top-{@code k} visual tokens with the tokens covering the
   * asked object's box.
   */
  public Localisation localisation(SceneHost scenesHost, Scenes scenes, int n, int k) {
    if (scenesHost != host) {
      throw new IllegalArgumentException(
          "the check needs the host this attribution runs on; pass the same SceneHost");
    }
    if (n < 1 || k < 1 || k > HostConfig.VISUAL_TOKENS) {
      throw new IllegalArgumentException(
          "n must be positive and k in [1, "
              + HostConfig.VISUAL_TOKENS
              + "]; n="
              + n
              + ", k="
              + k
              + "; use e.g. n=50, k=2");
    }
    List<String> layers = host.layers();
    int l = layers.size();
    double[] ig = new double[l];
    double[] noise = new double[l];
    double[] rnd = new double[l];
    double[] share = new double[l];
    double gap = 0;
    long nanos = 0;
    int total = 0;
    for (Kind kind : List.of(Kind.ENTITY, Kind.OBJECTS)) {
      int count = 0;
      for (int i = 0; count < n && i < 20 * n; i++) {
        Sample s = scenes.sample(Split.TEST, i, kind, Phrasing.TRAIN, 0);
        if (s.type() == QuestionType.COUNT || s.objects().isEmpty()) {
          continue;
        }
        boolean[] inside = scenesHost.positionsCovering(s.objects().get(0).box());
        for (int li = 0; li < l; li++) {
          long t0 = System.nanoTime();
          Result r = attribute(HostModel.Input.of(s), s.answer(), layers.get(li));
          nanos += System.nanoTime() - t0;
          ig[li] += topKInside(r.integratedGradients(), r.visual(), inside, k);
          noise[li] += topKInside(r.noise(), r.visual(), inside, k);
          rnd[li] += coveredShare(r.visual(), inside);
          share[li] += r.visualShare();
          gap += r.relativeCompletenessGap();
        }
        count++;
      }
      total += count;
    }
    for (int li = 0; li < l; li++) {
      ig[li] /= total;
      noise[li] /= total;
      rnd[li] /= total;
      share[li] /= total;
    }
    return new Localisation(
        layers, k, total, ig, noise, rnd, share, gap / (total * l), nanos / 1e6 / (total * l));
  }

  /**
   * Share of the {@code k} highest-scoring visual positions that are {@code inside}. When every
   * visual score is equal (after the last block, where the head reads position 0 only) the ranking
   * says nothing, and the share is the random expectation rather than an index-order artefact.
   */
  public static double topKInside(float[] scores, boolean[] visual, boolean[] inside, int k) {
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    for (int t = 0; t < scores.length; t++) {
      if (visual[t]) {
        lo = Math.min(lo, scores[t]);
        hi = Math.max(hi, scores[t]);
      }
    }
    if (lo == hi) {
      return coveredShare(visual, inside);
    }
    Integer[] order = new Integer[scores.length];
    for (int t = 0; t < order.length; t++) {
      order[t] = t;
    }
    Arrays.sort(order, (x, y) -> Float.compare(scores[y], scores[x]));
    int taken = 0;
    int hits = 0;
    for (int t : order) {
      if (visual[t]) {
        hits += inside[t] ? 1 : 0;
        if (++taken == k) {
          break;
        }
      }
    }
    return (double) hits / taken;
  }

  /** Share of the visual positions that lie inside (the expected rate of a random token). */
  public static double coveredShare(boolean[] visual, boolean[] inside) {
    int v = 0;
    int in = 0;
    for (int t = 0; t < visual.length; t++) {
      if (visual[t]) {
        v++;
        in += inside[t] ? 1 : 0;
      }
    }
    return (double) in / v;
  }

  @Override
  public String toString() {
    return "Attribution{host="
        + host.name()
        + ", "
        + options
        + ", baseline=no-image hidden states}";
  }
}
