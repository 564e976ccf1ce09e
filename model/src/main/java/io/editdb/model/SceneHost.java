package io.editdb.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * EditDB's own host vision-language model, trained on {@link Scenes} by {@link HostTrainer}: a conv
 * stem turns a 32x32 image into a 4x4 grid of visual tokens, a pre-norm transformer reads [answer
 * token, visual tokens, question words], and a linear head over the answer token gives logits over
 * {@link Scenes#answers()}. Layers are named {@code blocks.0} ... {@code blocks.<n-1>}; the hidden
 * states at a layer are that block's output (the residual stream), which is where an expert's delta
 * is added. A text-only question (no image) gets a learned "no image" token in every visual
 * position.
 *
 * <pre>{@code
 * try (SceneHost host = SceneHost.load();
 *     NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
 *   Sample s = Scenes.standard().sample(Split.TEST, 0);
 *   String answer = host.answer(HostModel.Input.of(s));
 *   NDArray h = host.hiddenAt("blocks.2", List.of(HostModel.Input.of(s)), m);
 *   NDArray logits = host.continueFrom("blocks.2", h); // the same logits, bit for bit
 * }
 * }</pre>
 *
 * Runs on the CPU: managers passed in must be CPU managers of the PyTorch engine. Calls may run
 * concurrently; the parameters are only read.
 */
public final class SceneHost implements HostModel {
  /** The shipped weights, on the classpath. */
  public static final String RESOURCE = "/io/editdb/model/host-v1.params";

  private static final float LN_EPS = 1e-5f;

  private final HostConfig config;
  private final String dataVersion;
  private final WordTokenizer tokenizer;
  private final List<String> answers;
  private final List<String> layers;
  private final NDManager manager;
  private final Map<String, NDArray> params; // insertion order = file order

  private SceneHost(
      HostConfig config,
      String dataVersion,
      List<String> words,
      List<String> answers,
      NDManager manager,
      Map<String, NDArray> params) {
    this.config = config;
    this.dataVersion = dataVersion;
    this.tokenizer = new WordTokenizer(words, config.questionTokens());
    this.answers = List.copyOf(answers);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < config.layers(); i++) {
      names.add("blocks." + i);
    }
    this.layers = List.copyOf(names);
    this.manager = manager;
    this.params = params;
  }

  /** The shipped, trained host. */
  public static SceneHost load() {
    try (InputStream in = SceneHost.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "no host weights at "
                + RESOURCE
                + " on the classpath; build the model module"
                + " (mvn -pl model install) or train them (HostTrainer)");
      }
      return load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
  }

  /** A host from a weights file (format: {@link HostWeights}). */
  public static SceneHost load(InputStream in) throws IOException {
    HostWeights.Contents c = HostWeights.read(in);
    NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    boolean ok = false;
    try {
      Map<String, NDArray> p = new LinkedHashMap<>();
      for (Map.Entry<String, HostWeights.Tensor> e : c.tensors().entrySet()) {
        p.put(e.getKey(), m.create(e.getValue().values(), new Shape(e.getValue().shape())));
      }
      SceneHost host = new SceneHost(c.config(), c.dataVersion(), c.words(), c.answers(), m, p);
      SceneHostParameters.check(c.config(), p, host.tokenizer.size(), host.answers.size());
      ok = true;
      return host;
    } finally {
      if (!ok) {
        m.close();
      }
    }
  }

  /** A freshly initialised (untrained) host over the words and answers of {@code scenes}. */
  static SceneHost initialize(HostConfig config, Scenes scenes, long seed) {
    NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    Map<String, NDArray> p =
        SceneHostParameters.initial(
            config, scenes.questionWords().size() + 1, scenes.answers().size(), seed, m);
    return new SceneHost(
        config, Scenes.DATA_VERSION, scenes.questionWords(), scenes.answers(), m, p);
  }

  /** Writes the weights (format: {@link HostWeights}). */
  public void save(OutputStream out) throws IOException {
    Map<String, HostWeights.Tensor> t = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      t.put(
          e.getKey(),
          new HostWeights.Tensor(e.getValue().getShape().getShape(), e.getValue().toFloatArray()));
    }
    HostWeights.write(
        out, new HostWeights.Contents(config, dataVersion, tokenizer.words(), answers, t));
  }

  public HostConfig config() {
    return config;
  }

  /** The {@link Scenes#DATA_VERSION} these weights were trained on. */
  public String dataVersion() {
    return dataVersion;
  }

  /** A scope for one training step's tensors, under the parameters' manager. */
  NDManager newScope() {
    return manager.newSubManager();
  }

  /** The parameters by name, for the trainer; live tensors, not copies. */
  Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(params);
  }

  @Override
  public String name() {
    return "editdb-" + dataVersion;
  }

  @Override
  public List<String> layers() {
    return layers;
  }

  @Override
  public int hiddenSize() {
    return config.hidden();
  }

  @Override
  public int sequenceLength() {
    return config.sequenceLength();
  }

  @Override
  public boolean[] visualPositions() {
    boolean[] v = new boolean[config.sequenceLength()];
    for (int i = 1; i <= HostConfig.VISUAL_TOKENS; i++) {
      v[i] = true;
    }
    return v;
  }

  /**
   * The visual positions whose 8x8-pixel cell overlaps a pixel box, e.g. a {@link DrawnObject}'s: a
   * token mask for an edit restricted to one object's region (VisEdit), or the ground truth an
   * attribution method can be checked against.
   */
  public boolean[] positionsCovering(java.awt.Rectangle box) {
    if (box == null || box.isEmpty()) {
      throw new IllegalArgumentException(
          "a box must cover at least one pixel; got " + box + "; pass a DrawnObject's box");
    }
    boolean[] mask = new boolean[config.sequenceLength()];
    for (int t = 0; t < HostConfig.VISUAL_TOKENS; t++) {
      int[] c = tokenBox(1 + t);
      mask[1 + t] = new java.awt.Rectangle(c[0], c[1], c[2], c[3]).intersects(box);
    }
    return mask;
  }

  /** Visual token t (positions 1 to 16) reads the 8x8-pixel cell t of a 4x4 grid, row by row. */
  @Override
  public int[] tokenBox(int position) {
    if (position < 1 || position > HostConfig.VISUAL_TOKENS) {
      return null;
    }
    int cell = Scenes.IMAGE_SIZE / 4;
    int t = position - 1;
    return new int[] {(t % 4) * cell, (t / 4) * cell, cell, cell};
  }

  @Override
  public List<String> answers() {
    return answers;
  }

  @Override
  public int visualKeyDim() {
    return config.hidden();
  }

  @Override
  public NDArray hiddenAt(String layer, List<Input> inputs, NDManager into) {
    int stop = layerIndex(layer);
    try (NDManager tmp = into.newSubManager()) {
      NDArray x = embed(inputs, tmp);
      for (int i = 0; i <= stop; i++) {
        x = block(i, x);
      }
      x.attach(into);
      return x;
    }
  }

  @Override
  public NDArray continueFrom(String layer, NDArray hidden) {
    int from = layerIndex(layer) + 1;
    Shape s = hidden.getShape();
    if (s.dimension() != 3
        || s.get(1) != config.sequenceLength()
        || s.get(2) != config.hidden()
        || hidden.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(
          "hidden states must be float32 [batch, "
              + config.sequenceLength()
              + ", "
              + config.hidden()
              + "]; got "
              + hidden.getDataType()
              + " "
              + s
              + "; pass what hiddenAt returned for this layer");
    }
    NDManager owner = hidden.getManager();
    try (NDManager tmp = owner.newSubManager()) {
      hidden.tempAttach(tmp);
      NDArray x = hidden;
      for (int i = from; i < config.layers(); i++) {
        x = block(i, x);
      }
      NDArray out = head(x);
      out.attach(owner);
      return out;
    }
  }

  @Override
  public NDArray logits(List<Input> inputs, NDManager into) {
    try (NDManager tmp = into.newSubManager()) {
      NDArray out = forward(inputs, tmp);
      out.attach(into);
      return out;
    }
  }

  /** The forward pass with every intermediate left in {@code m} (the trainer needs them). */
  NDArray forward(List<Input> inputs, NDManager m) {
    NDArray x = embed(inputs, m);
    for (int i = 0; i < config.layers(); i++) {
      x = block(i, x);
    }
    return head(x);
  }

  /** The most likely answer to one input. */
  public String answer(Input input) {
    try (NDManager m = manager.newSubManager()) {
      return answers.get((int) logits(List.of(input), m).argMax(1).getLong(0));
    }
  }

  @Override
  public float[] visualKey(BufferedImage image) {
    return visualKeys(java.util.Collections.singletonList(image))[0];
  }

  /**
   * {@link #visualKey} for many images at once (a null image: the no-image key). With a trained
   * visual key head (tensors {@code keys.*}, {@link KeyHeads#VISUAL}) the key is the head's
   * projection of the stem's visual tokens, trained so that another drawing of the same content
   * lands near and other content far; without one, the mean of the tokens.
   */
  public float[][] visualKeys(List<BufferedImage> images) {
    if (images == null || images.isEmpty()) {
      throw new IllegalArgumentException(
          "visual keys need at least one image; got "
              + (images == null ? "null" : "none")
              + "; pass the images to key");
    }
    try (NDManager m = manager.newSubManager()) {
      NDArray tokens = visualTokens(images, m);
      return unitRows(
          KeyHeads.VISUAL.in(params)
              ? KeyHeads.VISUAL.project(tokens, params)
              : tokens.mean(new int[] {1}));
    }
  }

  /** The rows of a {@code [n, width]} tensor, each scaled to unit length. */
  private static float[][] unitRows(NDArray x) {
    NDArray unit = x.div(x.norm(new int[] {1}, true).maximum(1e-12f));
    float[] flat = unit.toFloatArray();
    int width = (int) unit.getShape().get(1);
    float[][] out = new float[(int) unit.getShape().get(0)][width];
    for (int i = 0; i < out.length; i++) {
      System.arraycopy(flat, i * width, out[i], 0, width);
    }
    return out;
  }

  /**
   * The stem's visual tokens {@code [images, 16, d]} (before the layer norm), in {@code m}; a null
   * image has the tokens the host reads in its place ({@code embed.noimage}).
   */
  NDArray visualTokens(List<BufferedImage> images, NDManager m) {
    float[] pix = new float[images.size() * 3 * Scenes.IMAGE_SIZE * Scenes.IMAGE_SIZE];
    float[] has = new float[images.size()];
    for (int i = 0; i < images.size(); i++) {
      if (images.get(i) != null) {
        float[] one = Scenes.pixels(images.get(i));
        System.arraycopy(one, 0, pix, i * one.length, one.length);
        has[i] = 1f;
      }
    }
    NDArray x = m.create(pix, new Shape(images.size(), 3, Scenes.IMAGE_SIZE, Scenes.IMAGE_SIZE));
    NDArray img = m.create(has, new Shape(images.size(), 1, 1));
    return stem(x)
        .mul(img)
        .add(m.ones(new Shape(images.size(), 1, 1)).sub(img).mul(p("embed.noimage")));
  }

  /** Drops a key head, if the host has it: its keys are the plain representation again. */
  void removeHead(KeyHeads.Head head) {
    for (String name : head.tensors()) {
      NDArray old = params.remove(name);
      if (old != null) {
        old.close();
      }
    }
  }

  /** Adds or replaces a key head's tensors (the trainer's); they are copied into the host. */
  void putHead(Map<String, NDArray> head) {
    for (Map.Entry<String, NDArray> e : head.entrySet()) {
      NDArray old = params.put(e.getKey(), e.getValue().duplicate());
      params.get(e.getKey()).attach(manager);
      if (old != null) {
        old.close();
      }
    }
  }

  /**
   * The host's own key of a question: its hidden state at the answer position after the last block,
   * asked without an image (so it depends on the words alone), through the question key head where
   * the host has one ({@code qkeys.*}, {@link KeyHeads#QUESTION}), unit length. It separates a
   * held-out paraphrase from other question types better than the built-in text encoder.
   */
  @Override
  public float[][] questionKeys(List<String> questions) {
    if (questions == null || questions.isEmpty()) {
      throw new IllegalArgumentException(
          "question keys need at least one question; got "
              + (questions == null ? "null" : "none")
              + "; pass the questions to key");
    }
    try (NDManager m = manager.newSubManager()) {
      NDArray first = questionStates(questions, m);
      return unitRows(
          KeyHeads.QUESTION.in(params) ? KeyHeads.QUESTION.project(first, params) : first);
    }
  }

  /** The answer position's hidden state after the last block, asked without an image. */
  NDArray questionStates(List<String> questions, NDManager m) {
    List<Input> in = new ArrayList<>(questions.size());
    for (String q : questions) {
      in.add(new Input(null, q));
    }
    return hiddenAt(layers.get(layers.size() - 1), in, m).get(":, 0, :");
  }

  @Override
  public int questionKeyDim() {
    return config.hidden();
  }

  private int layerIndex(String layer) {
    int i = layers.indexOf(layer);
    if (i < 0) {
      throw new IllegalArgumentException(
          "layer '"
              + layer
              + "' is not a layer of "
              + name()
              + "; its layers are "
              + layers
              + "; pick one of them");
    }
    return i;
  }

  private NDArray p(String name) {
    return params.get(name);
  }

  /** [B, 3, 32, 32] pixels to [B, 16, d] visual tokens: 32x32 -> 16x16 -> 8x8 -> 4x4. */
  private NDArray stem(NDArray x) {
    Shape two = new Shape(2, 2);
    Shape one = new Shape(1, 1);
    // Full resolution first: a 6-pixel triangle and circle differ in a few pixels only.
    x = Activation.relu(Conv2d.conv2d(x, p("stem.conv1.w"), p("stem.conv1.b"), one, one).head());
    x = Activation.relu(Conv2d.conv2d(x, p("stem.conv2.w"), p("stem.conv2.b"), two, one).head());
    x = Activation.relu(Conv2d.conv2d(x, p("stem.conv3.w"), p("stem.conv3.b"), two, one).head());
    // 4x4 windows at stride 2: each visual token sees a wide field around its 8-pixel cell.
    x = Conv2d.conv2d(x, p("stem.conv4.w"), p("stem.conv4.b"), two, one).head();
    long b = x.getShape().get(0);
    return x.reshape(b, config.hidden(), HostConfig.VISUAL_TOKENS).transpose(0, 2, 1);
  }

  private NDArray embed(List<Input> inputs, NDManager m) {
    if (inputs == null || inputs.isEmpty()) {
      throw new IllegalArgumentException(
          "a forward pass needs at least one input; got "
              + (inputs == null ? "null" : "none")
              + "; pass one (image, question) per query");
    }
    int batch = inputs.size();
    int q = config.questionTokens();
    int per = 3 * Scenes.IMAGE_SIZE * Scenes.IMAGE_SIZE;
    float[] pix = new float[batch * per];
    float[] has = new float[batch];
    long[] ids = new long[batch * q];
    float[] present = new float[batch * q];
    boolean allImages = true;
    for (int i = 0; i < batch; i++) {
      Input in = inputs.get(i);
      if (in == null) {
        throw new IllegalArgumentException(
            "input " + i + " is null; pass an Input with a question (and an image or null)");
      }
      int[] tok = tokenizer.encode(in.question());
      for (int j = 0; j < q; j++) {
        ids[i * q + j] = tok[j];
        present[i * q + j] = tok[j] == WordTokenizer.PAD ? 0f : 1f;
      }
      if (in.image() != null) {
        System.arraycopy(Scenes.pixels(in.image()), 0, pix, i * per, per);
        has[i] = 1f;
      } else {
        allImages = false;
      }
    }
    int d = config.hidden();
    NDArray vis = stem(m.create(pix, new Shape(batch, 3, Scenes.IMAGE_SIZE, Scenes.IMAGE_SIZE)));
    vis = LayerNorm.layerNorm(vis, new Shape(d), p("stem.ln.g"), p("stem.ln.b"), LN_EPS).head();
    if (!allImages) {
      NDArray img = m.create(has, new Shape(batch, 1, 1));
      NDArray none = m.ones(new Shape(batch, 1, 1)).sub(img);
      vis = vis.mul(img).add(none.mul(p("embed.noimage")));
    }
    NDArray words =
        Embedding.embedding(
                m.create(ids, new Shape(batch, q)), p("embed.words"), SparseFormat.DENSE)
            .head();
    // Early fusion: the mean question word, projected, is added to the answer and visual tokens,
    // so that "is this token the red object?" is a per-token computation from the first block on
    // instead of an attention route the host would need many more steps to learn.
    NDArray real = m.create(present, new Shape(batch, q, 1));
    NDArray mean = words.mul(real).sum(new int[] {1}).div(real.sum(new int[] {1}));
    NDArray fuse =
        Linear.linear(mean, p("embed.fuse.w"), p("embed.fuse.b")).head().reshape(batch, 1, d);
    NDArray cls = fuse.add(p("embed.answer"));
    vis = vis.add(fuse);
    return NDArrays.concat(new NDList(cls, vis, words), 1).add(p("embed.position"));
  }

  private NDArray block(int i, NDArray x) {
    String b = "blocks." + i + ".";
    Shape s = x.getShape();
    long batch = s.get(0);
    long t = s.get(1);
    int d = config.hidden();
    int heads = config.heads();
    int dh = d / heads;
    Shape norm = new Shape(d);
    NDArray h = LayerNorm.layerNorm(x, norm, p(b + "ln1.g"), p(b + "ln1.b"), LN_EPS).head();
    NDArray qkv =
        Linear.linear(h, p(b + "qkv.w"), p(b + "qkv.b"))
            .head()
            .reshape(batch, t, 3, heads, dh)
            .transpose(2, 0, 3, 1, 4);
    NDArray q = qkv.get(0);
    NDArray k = qkv.get(1);
    NDArray v = qkv.get(2);
    NDArray att = q.matMul(k.transpose(0, 1, 3, 2)).mul((float) (1 / Math.sqrt(dh))).softmax(-1);
    NDArray o = att.matMul(v).transpose(0, 2, 1, 3).reshape(batch, t, d);
    x = x.add(Linear.linear(o, p(b + "proj.w"), p(b + "proj.b")).head());
    h = LayerNorm.layerNorm(x, norm, p(b + "ln2.g"), p(b + "ln2.b"), LN_EPS).head();
    h = Activation.gelu(Linear.linear(h, p(b + "fc1.w"), p(b + "fc1.b")).head());
    return x.add(Linear.linear(h, p(b + "fc2.w"), p(b + "fc2.b")).head());
  }

  private NDArray head(NDArray x) {
    NDArray first = x.get(":, 0, :");
    NDArray h =
        LayerNorm.layerNorm(
                first, new Shape(config.hidden()), p("head.ln.g"), p("head.ln.b"), LN_EPS)
            .head();
    return Linear.linear(h, p("head.w"), p("head.b")).head();
  }

  @Override
  public void close() {
    manager.close();
  }

  @Override
  public String toString() {
    return "SceneHost{"
        + config
        + ", data="
        + dataVersion
        + ", words="
        + tokenizer.words().size()
        + ", answers="
        + answers.size()
        + ", layers="
        + layers
        + "}";
  }
}
