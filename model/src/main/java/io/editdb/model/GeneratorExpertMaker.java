package io.editdb.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import io.editdb.store.ExpertKind;
import io.editdb.store.ExpertWeights;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The <i>generator</i> expert maker (LiveEdit's way): a small hypernetwork, trained once on the
 * train split by {@link GeneratorTrainer}, that maps an edit to the low-rank weights A (rank x d)
 * and B (d x rank) of its expert in one forward pass, with no optimisation per edit.
 *
 * <p>What it reads of an edit: the host's hidden states of the edit input at the layer, pooled two
 * ways (the first position, where {@link SceneHost} reads its answer, and the mean over positions),
 * each through a parameter-free layer norm, and a learned embedding of the target answer (one row
 * per answer of the host, initialised from {@link SceneHost}'s answer head when the host is one).
 * Two gelu layers turn those into A and B; A also gets a learned multiple of the normed first
 * position per rank, so that an expert starts out keyed on its own edit.
 *
 * <p>The expert is exactly the form {@link FitExpertMaker} makes and {@code ExpertApplier} applies:
 * {@code delta(h) = gate * alpha * B relu(A ln(h))} for {@code LIVEEDIT} ({@code B (A h)} for
 * {@code LORA}), so the store and the applier take it unchanged.
 *
 * <pre>{@code
 * try (SceneHost host = SceneHost.load();
 *     GeneratorExpertMaker gen = GeneratorExpertMaker.load(host)) {
 *   ExpertWeights w = gen.make(HostModel.Input.of(sample), "japan", editId);
 *   store.insert(..., w);
 * }
 * }</pre>
 *
 * Calls may run concurrently; the parameters are only read.
 */
public final class GeneratorExpertMaker implements AutoCloseable {
  /** The shipped generator for the shipped {@link SceneHost}, on the classpath. */
  public static final String RESOURCE = "/io/editdb/model/generator-v1.params";

  static final int FORMAT = 1;
  private static final byte[] MAGIC = "EDBGENR\n".getBytes(StandardCharsets.US_ASCII);
  private static final float LN_EPS = 1e-5f; // as ExpertApplier's LIVEEDIT layer norm

  /**
   * The generator's shape.
   *
   * @param layer the host layer its experts attach to
   * @param kind the form of the experts it makes
   * @param rank rows of A (and columns of B)
   * @param alpha the experts' scale, stored with them
   * @param width width of the hypernetwork's hidden layers
   */
  public record Options(String layer, ExpertKind kind, int rank, float alpha, int width) {
    public Options {
      if (layer == null
          || kind == null
          || rank < 1
          || rank > 64
          || !(alpha > 0)
          || width < 8
          || width > 4096) {
        throw new IllegalArgumentException(
            "a generator needs a layer, a kind, rank in [1, 64], alpha > 0 and width in [8, 4096];"
                + " got layer="
                + layer
                + ", kind="
                + kind
                + ", rank="
                + rank
                + ", alpha="
                + alpha
                + ", width="
                + width
                + "; fix the offending value");
      }
    }

    /** What the shipped generator was trained with. */
    public static Options defaults() {
      return new Options("blocks.2", ExpertKind.LIVEEDIT, 4, 1f, 256);
    }
  }

  private final HostModel host;
  private final Options options;
  private final String hostName;
  private final int d;
  private final NDManager manager;
  private final Map<String, NDArray> params;

  private GeneratorExpertMaker(
      HostModel host,
      Options options,
      String hostName,
      NDManager manager,
      Map<String, NDArray> params) {
    this.host = host;
    this.options = options;
    this.hostName = hostName;
    this.d = host.hiddenSize();
    this.manager = manager;
    this.params = params;
  }

  /** The shipped generator, for the shipped host. */
  public static GeneratorExpertMaker load(HostModel host) {
    try (InputStream in = GeneratorExpertMaker.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "no generator weights at "
                + RESOURCE
                + " on the classpath; build the model module"
                + " (mvn -pl model install) or train them (GeneratorTrainer)");
      }
      return load(host, in);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
  }

  /**
   * A generator from a weights file written by {@link #save}.
   *
   * <p>Format 1, big-endian as {@link DataOutputStream} writes:
   *
   * <pre>
   * bytes   "EDBGENR\n"                        magic (8 bytes)
   * int32   1                                  format version
   * UTF     host name (HostModel.name() the generator was trained against)
   * UTF     layer, UTF kind (ExpertKind name)
   * int32   rank, int32 width, int32 d, float32 alpha
   * int32   answer count, then each answer as UTF (embedding row = position)
   * int32   tensor count, then per tensor:
   *           UTF name, int32 rank, int32 dims[rank], float32 values[prod(dims)] little-endian
   * int64   CRC-32 of every byte before it
   * </pre>
   *
   * @throws IllegalArgumentException when the file is not a generator's, is damaged, or was trained
   *     for another host (name, width or answers differ)
   */
  public static GeneratorExpertMaker load(HostModel host, InputStream in) throws IOException {
    if (host == null || in == null) {
      throw new IllegalArgumentException(
          "loading a generator needs a host and a stream; got host="
              + host
              + ", in="
              + in
              + "; pass both");
    }
    CRC32 crc = new CRC32();
    DataInputStream data = new DataInputStream(new CheckedInputStream(in, crc));
    byte[] magic = new byte[MAGIC.length];
    data.readFully(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new IllegalArgumentException(
          "a generator weights file starts with EDBGENR; got other bytes; pass a file"
              + " GeneratorExpertMaker.save or GeneratorTrainer wrote");
    }
    int format = data.readInt();
    if (format != FORMAT) {
      throw new IllegalArgumentException(
          "generator weights format must be "
              + FORMAT
              + "; got "
              + format
              + "; retrain with this version of EditDB (GeneratorTrainer)");
    }
    String hostName = data.readUTF();
    String layer = data.readUTF();
    ExpertKind kind = ExpertKind.valueOf(data.readUTF());
    int rank = data.readInt();
    int width = data.readInt();
    int fileD = data.readInt();
    float alpha = data.readFloat();
    List<String> answers = new ArrayList<>();
    for (int i = data.readInt(); i > 0; i--) {
      answers.add(data.readUTF());
    }
    Map<String, float[]> values = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (int n = data.readInt(); n > 0; n--) {
      String name = data.readUTF();
      long[] shape = new long[data.readInt()];
      long count = 1;
      for (int j = 0; j < shape.length; j++) {
        shape[j] = data.readInt();
        count *= shape[j];
      }
      byte[] raw = new byte[Math.toIntExact(4 * count)];
      data.readFully(raw);
      float[] v = new float[(int) count];
      ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      values.put(name, v);
      shapes.put(name, shape);
    }
    long expected = crc.getValue();
    long stored = new DataInputStream(in).readLong();
    if (stored != expected) {
      throw new IllegalArgumentException(
          "generator weights checksum mismatch: stored "
              + Long.toHexString(stored)
              + ", computed "
              + Long.toHexString(expected)
              + "; the file is damaged, restore it"
              + " from git");
    }
    if (!hostName.equals(host.name())
        || fileD != host.hiddenSize()
        || !answers.equals(host.answers())
        || !host.layers().contains(layer)) {
      throw new IllegalArgumentException(
          "these generator weights were trained for host "
              + hostName
              + " (d="
              + fileD
              + ", "
              + answers.size()
              + " answers, layer "
              + layer
              + "); got host "
              + host.name()
              + " (d="
              + host.hiddenSize()
              + ", "
              + host.answers().size()
              + " answers, layers "
              + host.layers()
              + "); train a generator for this host (GeneratorTrainer)");
    }
    Options options = new Options(layer, kind, rank, alpha, width);
    NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    boolean ok = false;
    try {
      Map<String, NDArray> p = new LinkedHashMap<>();
      for (Map.Entry<String, float[]> e : values.entrySet()) {
        p.put(e.getKey(), m.create(e.getValue(), new Shape(shapes.get(e.getKey()))));
      }
      GeneratorExpertMaker g = new GeneratorExpertMaker(host, options, hostName, m, p);
      g.checkParameters();
      ok = true;
      return g;
    } finally {
      if (!ok) {
        m.close();
      }
    }
  }

  /** A freshly initialised (untrained) generator for {@code host}. */
  static GeneratorExpertMaker initialize(HostModel host, Options o, long seed) {
    if (host == null || o == null || !host.layers().contains(o.layer())) {
      throw new IllegalArgumentException(
          "a generator needs a host and options naming one of its layers; got layer "
              + (o == null ? null : o.layer())
              + (host == null ? ", no host" : " of " + host.layers())
              + "; pass a layer the host names");
    }
    NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    Random r = new Random(seed);
    int d = host.hiddenSize();
    int w = o.width();
    int rd = o.rank() * d;
    Map<String, NDArray> p = new LinkedHashMap<>();
    NDArray embed = null;
    if (host instanceof SceneHost s) {
      // The head's row of an answer points where the answer token must move to say it.
      NDArray head = s.parameters().get("head.w").duplicate();
      head.attach(m);
      embed = head.div(head.norm(new int[] {1}, true).maximum(1e-6f));
    }
    p.put(
        "answer.embed",
        embed != null
            ? embed
            : SceneHostParameters.normal(m, r, 1 / Math.sqrt(d), host.answers().size(), d));
    p.put("in.w", SceneHostParameters.normal(m, r, 1 / Math.sqrt(3.0 * d), w, 3 * d));
    p.put("in.b", m.zeros(new Shape(w)));
    p.put("mid.w", SceneHostParameters.normal(m, r, 1 / Math.sqrt(w), w, w));
    p.put("mid.b", m.zeros(new Shape(w)));
    p.put("a.w", SceneHostParameters.normal(m, r, 0.1 / Math.sqrt(w), rd, w));
    p.put("a.b", m.zeros(new Shape(rd)));
    p.put("a.key", m.full(new Shape(o.rank(), 1), (float) (1 / Math.sqrt(d))));
    p.put("b.w", SceneHostParameters.normal(m, r, 0.1 / Math.sqrt(w), rd, w));
    p.put("b.b", m.zeros(new Shape(rd)));
    // B's columns start along the target's embedding, so a new expert already pushes toward it.
    p.put("b.target", m.full(new Shape(1, o.rank()), 0.5f));
    return new GeneratorExpertMaker(host, o, host.name(), m, p);
  }

  private void checkParameters() {
    int rd = options.rank() * d;
    expect("answer.embed", host.answers().size(), d);
    expect("in.w", options.width(), 3L * d);
    expect("mid.w", options.width(), options.width());
    expect("a.w", rd, options.width());
    expect("b.w", rd, options.width());
    expect("a.key", options.rank(), 1);
    expect("b.target", 1, options.rank());
  }

  private void expect(String name, long... dims) {
    NDArray a = params.get(name);
    if (a == null || !a.getShape().equals(new Shape(dims))) {
      throw new IllegalArgumentException(
          "generator weights must hold "
              + name
              + " of shape "
              + new Shape(dims)
              + " for "
              + options
              + " and d="
              + d
              + "; got "
              + (a == null ? "none" : a.getShape())
              + "; the file does not match its own header, retrain it");
    }
  }

  /** Writes the weights (format: {@link #load(HostModel, InputStream)}). */
  public void save(OutputStream out) throws IOException {
    CRC32 crc = new CRC32();
    DataOutputStream data = new DataOutputStream(new CheckedOutputStream(out, crc));
    data.write(MAGIC);
    data.writeInt(FORMAT);
    data.writeUTF(hostName);
    data.writeUTF(options.layer());
    data.writeUTF(options.kind().name());
    data.writeInt(options.rank());
    data.writeInt(options.width());
    data.writeInt(d);
    data.writeFloat(options.alpha());
    data.writeInt(host.answers().size());
    for (String a : host.answers()) {
      data.writeUTF(a);
    }
    data.writeInt(params.size());
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      data.writeUTF(e.getKey());
      long[] shape = e.getValue().getShape().getShape();
      data.writeInt(shape.length);
      for (long s : shape) {
        data.writeInt(Math.toIntExact(s));
      }
      float[] v = e.getValue().toFloatArray();
      ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(v);
      data.write(b.array());
    }
    data.flush();
    new DataOutputStream(out).writeLong(crc.getValue());
    out.flush();
  }

  public Options options() {
    return options;
  }

  public HostModel host() {
    return host;
  }

  /** A scope for one training step's tensors, under the parameters' manager. */
  NDManager newScope() {
    return manager.newSubManager();
  }

  /** The parameters by name, for the trainer; live tensors, not copies. */
  Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(params);
  }

  /** {@link #make(HostModel.Input, String, long)} with edit id 0, for callers that re-id it. */
  public ExpertWeights make(HostModel.Input input, String target) {
    return make(input, target, 0);
  }

  /**
   * Makes one edit's expert in one forward pass of the host (to the layer) and of the generator.
   *
   * @param input the input whose answer is corrected
   * @param target the answer it should get; one of the host's answers
   * @param editId the id the expert is stored under
   * @throws IllegalArgumentException for a null input or a target outside the host's answers
   */
  public ExpertWeights make(HostModel.Input input, String target, long editId) {
    return make(input, target, editId, 1f);
  }

  /**
   * {@link #make(HostModel.Input, String, long)} for an expert the router is expected to apply at
   * {@code gate}: the generator was trained at gate 1, and an expert at gate 0.5 flips few answers,
   * so the stored alpha is divided by the gate ({@code delta} is linear in alpha, so at that gate
   * the expert acts as trained). {@link FitExpertMaker.Options#gate()} is the same idea.
   *
   * @throws IllegalArgumentException also for a gate outside (0, 1]
   */
  public ExpertWeights make(HostModel.Input input, String target, long editId, float gate) {
    if (!(gate > 0) || !(gate <= 1)) {
      throw new IllegalArgumentException(
          "the expected gate must be in (0, 1]; gate="
              + gate
              + "; pass the gate the router gives a matching query (1 when unsure)");
    }
    if (input == null) {
      throw new IllegalArgumentException(
          "an edit needs an input (image and question); got null; pass HostModel.Input.of(...)");
    }
    int t = target == null ? -1 : host.answers().indexOf(target);
    if (t < 0) {
      throw new IllegalArgumentException(
          "target '"
              + target
              + "' is not one of the host's "
              + host.answers().size()
              + " answers; pick one of host.answers()");
    }
    int r = options.rank();
    try (NDManager m = manager.newSubManager()) {
      NDArray h = host.hiddenAt(options.layer(), List.of(input), m);
      NDArray[] ab = generate(h, new long[] {t}, m);
      // generate's A is [1, r, d] and B [1, d, r]: row-major they are already the store's form.
      return new ExpertWeights(
          editId,
          options.kind(),
          r,
          d,
          d,
          options.alpha() / gate,
          ab[0].toFloatArray(),
          ab[1].toFloatArray());
    }
  }

  /**
   * The generator's forward pass for a batch of edits: A {@code [n, rank, d]} and B {@code [n, d,
   * rank]} from the edits' hidden states {@code [n, tokens, d]} at the layer and their target
   * answer ids. Records gradients when called inside a gradient collector.
   */
  NDArray[] generate(NDArray hidden, long[] targets, NDManager m) {
    long n = hidden.getShape().get(0);
    int r = options.rank();
    NDArray first = norm(hidden.get(":, 0, :"), m);
    NDArray mean = norm(hidden.mean(new int[] {1}), m);
    NDArray target = params.get("answer.embed").get(m.create(targets));
    target.attach(m); // a gather lands in the parameters' manager; keep it in this call's
    NDArray f = NDArrays.concat(new NDList(first, mean, target), 1);
    NDArray z = Activation.gelu(Linear.linear(f, params.get("in.w"), params.get("in.b")).head());
    z = z.add(Activation.gelu(Linear.linear(z, params.get("mid.w"), params.get("mid.b")).head()));
    NDArray a =
        Linear.linear(z, params.get("a.w"), params.get("a.b"))
            .head()
            .reshape(n, r, d)
            .add(first.reshape(n, 1, d).mul(params.get("a.key")));
    NDArray b =
        Linear.linear(z, params.get("b.w"), params.get("b.b"))
            .head()
            .reshape(n, d, r)
            .add(target.reshape(n, d, 1).mul(params.get("b.target")));
    return new NDArray[] {a, b};
  }

  /**
   * The experts' deltas the way {@code ExpertApplier} computes them with gate 1: {@code alpha * B
   * f(A x)} at every position, for hidden states {@code [n, tokens, d]} and one expert per row (A
   * {@code [n, rank, d]}, B {@code [n, d, rank]}).
   */
  NDArray delta(NDArray hidden, NDArray a, NDArray b) {
    NDArray x = options.kind() == ExpertKind.LIVEEDIT ? norm(hidden, hidden.getManager()) : hidden;
    NDArray u = x.matMul(a.transpose(0, 2, 1));
    if (options.kind() == ExpertKind.LIVEEDIT) {
      u = Activation.relu(u);
    }
    return u.matMul(b.transpose(0, 2, 1)).mul(options.alpha());
  }

  private NDArray norm(NDArray x, NDManager m) {
    Shape s = new Shape(d);
    return LayerNorm.layerNorm(x, s, m.ones(s), m.zeros(s), LN_EPS).head();
  }

  @Override
  public void close() {
    manager.close();
  }

  @Override
  public String toString() {
    return "GeneratorExpertMaker{host="
        + hostName
        + ", "
        + options
        + ", d="
        + d
        + ", answers="
        + host.answers().size()
        + "}";
  }
}
