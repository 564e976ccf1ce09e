package io.editdb.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * The seam between EditDB and a model it edits: a model that turns (image, question) into hidden
 * states at a named layer, and continues from (possibly edited) hidden states there to answer
 * logits. EditDB routes and applies experts between the two halves with the same {@code Router} and
 * {@code ExpertApplier} that serving code uses:
 *
 * <pre>{@code
 * try (NDManager m = NDManager.newBaseManager("PyTorch")) {
 *   NDArray h = host.hiddenAt("blocks.2", inputs, m);          // [batch, tokens, d]
 *   NDArray edited = applier.apply(h, routedPerQuery, null);   // h itself when nothing routed
 *   NDArray logits = host.continueFrom("blocks.2", edited);    // [batch, answers]
 * }
 * }</pre>
 *
 * <p>With no expert routed, {@code continueFrom(layer, hiddenAt(layer, x))} must equal {@link
 * #logits} bit for bit: an implementation runs the same operations in the same order either way.
 *
 * <h2>Plugging in your own model</h2>
 *
 * A user's model exported as two TorchScript modules split at the edited layer (the part up to and
 * including the layer, taking the preprocessed image and token ids and returning the layer's output
 * {@code [batch, tokens, d]}; and the rest, taking that tensor and returning logits over its
 * answers or vocabulary) plugs in by implementing this interface around two DJL {@code ZooModel}s
 * loaded with {@code Criteria.builder().optEngine("PyTorch").optModelPath(...)}: {@code hiddenAt}
 * preprocesses and runs the first, {@code continueFrom} runs the second, {@code visualKey} returns
 * the model's pooled vision features (any fixed width; it becomes the layer's {@code visual_dim}),
 * and {@code layers()} names the split points exported. Everything on the EditDB side (keys,
 * routing, application, expert makers) then works unchanged.
 *
 * <p>Implementations are safe for concurrent calls that do not share managers.
 */
public interface HostModel extends AutoCloseable {

  /** One query: an image (null for a text-only question) and a question. */
  record Input(BufferedImage image, String question) {
    /** The input of a drawn sample. */
    public static Input of(Sample s) {
      return new Input(s.image(), s.question());
    }
  }

  /** A name for logs and layer bindings, e.g. {@code editdb-scenes-v1}. */
  String name();

  /** The layers hidden states can be taken at, in forward order. */
  List<String> layers();

  /** Width {@code d} of the hidden states at every layer. */
  int hiddenSize();

  /** Positions per query in the hidden states. */
  int sequenceLength();

  /** Which positions of a query's sequence hold visual tokens (for VisEdit-style token masks). */
  boolean[] visualPositions();

  /**
   * The box in the image's pixels a position reads (x, y, width, height), or null for a position
   * that is not a visual token or a host that does not say.
   */
  default int[] tokenBox(int position) {
    return null;
  }

  /** The answers the logits are over, in order. */
  List<String> answers();

  /** Width of {@link #visualKey}. */
  int visualKeyDim();

  /**
   * Hidden states at the output of {@code layer}: a float32 tensor {@code [inputs.size(),
   * sequenceLength(), hiddenSize()]} owned by {@code manager}.
   *
   * @throws IllegalArgumentException for an unknown layer or an input the model cannot read
   */
  NDArray hiddenAt(String layer, List<Input> inputs, NDManager manager);

  /**
   * Answer logits {@code [batch, answers]} from hidden states at {@code layer}, in their manager.
   */
  NDArray continueFrom(String layer, NDArray hidden);

  /** The whole forward pass: answer logits {@code [batch, answers]} owned by {@code manager}. */
  NDArray logits(List<Input> inputs, NDManager manager);

  /**
   * The edit's visual key: the model's pooled vision features of an image, unit length. For a null
   * image (a text-only question) the key of what the model reads in place of an image, so that a
   * text-only query on a visual layer is searched like any other; a host with no such input returns
   * null, and such queries are then never routed on a visual layer.
   */
  float[] visualKey(BufferedImage image);

  /**
   * The model's own representation of questions, unit length, one row per question, for routing by
   * text; null when the model offers none (then EditDB's built-in text encoder keys questions).
   */
  default float[][] questionKeys(List<String> questions) {
    return null;
  }

  /** Width of {@link #questionKeys}, 0 when the model offers none. */
  default int questionKeyDim() {
    return 0;
  }

  /** Frees the model's tensors. */
  @Override
  void close();
}
