package io.editdb.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The parameters {@link SceneHost}'s network has: their names and shapes, their initial values for
 * training from scratch, and the check that a weights file holds the shapes its header promises.
 * The names are the file's tensor names ({@link HostWeights}) and the ones {@code SceneHost}'s
 * forward pass reads.
 */
final class SceneHostParameters {
  private static final int STEM1 = 16;
  private static final int STEM2 = 32;
  private static final int STEM3 = 64;

  private SceneHostParameters() {}

  /**
   * Fresh parameters for {@code config} over {@code words} word ids (padding included) and {@code
   * answers} answers, drawn with {@code seed}, in {@code m}; in file order.
   */
  static Map<String, NDArray> initial(
      HostConfig config, int words, int answers, long seed, NDManager m) {
    Random r = new Random(seed);
    int d = config.hidden();
    Map<String, NDArray> p = new LinkedHashMap<>();
    // He initialisation for the relu stem, small normal for the transformer (GPT-2 style).
    p.put("stem.conv1.w", normal(m, r, Math.sqrt(2.0 / 27), STEM1, 3, 3, 3));
    p.put("stem.conv1.b", m.zeros(new Shape(STEM1)));
    p.put("stem.conv2.w", normal(m, r, Math.sqrt(2.0 / (STEM1 * 9)), STEM2, STEM1, 3, 3));
    p.put("stem.conv2.b", m.zeros(new Shape(STEM2)));
    p.put("stem.conv3.w", normal(m, r, Math.sqrt(2.0 / (STEM2 * 9)), STEM3, STEM2, 3, 3));
    p.put("stem.conv3.b", m.zeros(new Shape(STEM3)));
    p.put("stem.conv4.w", normal(m, r, Math.sqrt(1.0 / (STEM3 * 16)), d, STEM3, 4, 4));
    p.put("stem.conv4.b", m.zeros(new Shape(d)));
    // Visual tokens are layer-normed (unit scale), and the embeddings start at a comparable
    // scale: a position that starts at 2% of a token's norm takes hundreds of steps to matter,
    // and "which side is the red object" waits for it.
    p.put("stem.ln.g", m.ones(new Shape(d)));
    p.put("stem.ln.b", m.zeros(new Shape(d)));
    p.put("embed.words", normal(m, r, 0.5, words, d));
    p.put("embed.position", normal(m, r, 0.3, config.sequenceLength(), d));
    p.put("embed.answer", normal(m, r, 0.5, 1, 1, d));
    p.put("embed.noimage", normal(m, r, 0.5, 1, HostConfig.VISUAL_TOKENS, d));
    p.put("embed.fuse.w", normal(m, r, 1 / Math.sqrt(d), d, d));
    p.put("embed.fuse.b", m.zeros(new Shape(d)));
    double resid = 0.02 / Math.sqrt(2.0 * config.layers());
    for (int i = 0; i < config.layers(); i++) {
      String b = "blocks." + i + ".";
      p.put(b + "ln1.g", m.ones(new Shape(d)));
      p.put(b + "ln1.b", m.zeros(new Shape(d)));
      p.put(b + "qkv.w", normal(m, r, 0.02, 3 * d, d));
      p.put(b + "qkv.b", m.zeros(new Shape(3 * d)));
      p.put(b + "proj.w", normal(m, r, resid, d, d));
      p.put(b + "proj.b", m.zeros(new Shape(d)));
      p.put(b + "ln2.g", m.ones(new Shape(d)));
      p.put(b + "ln2.b", m.zeros(new Shape(d)));
      p.put(b + "fc1.w", normal(m, r, 0.02, config.mlp(), d));
      p.put(b + "fc1.b", m.zeros(new Shape(config.mlp())));
      p.put(b + "fc2.w", normal(m, r, resid, d, config.mlp()));
      p.put(b + "fc2.b", m.zeros(new Shape(d)));
    }
    p.put("head.ln.g", m.ones(new Shape(d)));
    p.put("head.ln.b", m.zeros(new Shape(d)));
    p.put("head.w", normal(m, r, 0.02, answers, d));
    p.put("head.b", m.zeros(new Shape(answers)));
    return p;
  }

  /** A tensor of normal draws with standard deviation {@code std}, from {@code r}. */
  static NDArray normal(NDManager m, Random r, double std, long... shape) {
    Shape s = new Shape(shape);
    float[] v = new float[Math.toIntExact(s.size())];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * std);
    }
    return m.create(v, s);
  }

  /**
   * Refuses parameters that do not fit {@code config}, {@code words} word ids and {@code answers}
   * answers: a file from another configuration fails here rather than with a shape error
   * mid-forward.
   */
  static void check(HostConfig config, Map<String, NDArray> params, int words, int answers) {
    int d = config.hidden();
    expect(config, params, "embed.words", words, d);
    expect(config, params, "embed.position", config.sequenceLength(), d);
    expect(config, params, "head.w", answers, d);
    expect(config, params, "blocks." + (config.layers() - 1) + ".fc1.w", config.mlp(), d);
  }

  private static void expect(
      HostConfig config, Map<String, NDArray> params, String name, long... dims) {
    NDArray a = params.get(name);
    if (a == null || !a.getShape().equals(new Shape(dims))) {
      throw new IllegalArgumentException(
          "host weights must hold "
              + name
              + " of shape "
              + new Shape(dims)
              + " for "
              + config
              + "; got "
              + (a == null ? "none" : a.getShape())
              + "; the file does not match its own header, retrain it");
    }
  }
}
