package io.editdb.query;

import io.editdb.store.ExpertKind;
import io.editdb.store.Layer;
import java.util.List;

/**
 * How EditDB's SQL surface reaches a host model without depending on one: a service, found with
 * {@link java.util.ServiceLoader} (see {@link HostBindings}), that opens hosts by name. Module
 * {@code editdb-model} implements it (its own scene host, and any {@code HostModel} registered in
 * the JVM); a user's model plugs in the same way, by implementing this interface and listing the
 * class in {@code META-INF/services/io.editdb.query.HostBinding}.
 *
 * <p>A layer bound to a host ({@code CREATE LAYER l (HOST 'editdb-scenes-v2', MODULE 'blocks.2',
 * MAKER FIT)}) takes its shapes from {@link Host}, computes an edit's keys and expert from an
 * image, a prompt and a target ({@link Host#makeEdit}), and answers questions at a version with the
 * routed experts applied ({@link Host#ask}).
 */
public interface HostBinding {

  /** Names of the hosts this binding serves now, for error messages. */
  List<String> hosts();

  /**
   * The host of that name, or null when this binding does not serve it. Opening may load weights;
   * implementations share one open host per name.
   *
   * @throws IllegalStateException when the binding serves the name but cannot open it (the message
   *     says why and how to fix it)
   */
  Host open(String name);

  /** A host model as a layer sees it. Safe for concurrent calls. */
  interface Host {
    String name();

    /** The modules (layers of the host) experts can attach to, in forward order. */
    List<String> modules();

    /** Width of the hidden states at every module: the layer's d_in and d_out. */
    int hiddenSize();

    /** Width of the visual key: the layer's visual_dim. */
    int visualDim();

    /** Width of the text key: the layer's text_dim when CREATE LAYER leaves it out. */
    int textDim();

    /**
     * Every text_dim a layer bound to this host may have, {@link #textDim()} first: each width
     * names one way of keying questions (e.g. the host's own question representation, or the
     * built-in text encoder's 384).
     */
    default List<Integer> textDims() {
      return List.of(textDim());
    }

    /**
     * The text key of a prompt on a layer bound to this host, as the host keys that layer's
     * questions (its text_dim chooses how, see {@link #textDims()}).
     *
     * @throws IllegalArgumentException for a text the host cannot read
     */
    float[] textKey(Layer layer, String text);

    /** Expert makers the host supports, upper case (e.g. FIT). */
    List<String> makers();

    /** The answers the host chooses from. */
    List<String> answers();

    /** Width and height, in pixels, of the images the host reads. */
    int imageSize();

    /** Positions per query in the hidden states at every module (a token mask's range). */
    int sequenceLength();

    /**
     * An edit's keys and expert from an image (PNG bytes), a prompt and the answer it should get,
     * made by the layer's maker for the layer's module, expert kind and max rank.
     *
     * @throws IllegalArgumentException for an image that is not a PNG or not {@link #imageSize()}
     *     square, or a target outside {@link #answers()}; nothing is made
     */
    default MadeEdit makeEdit(Layer layer, byte[] png, String prompt, String target) {
      return makeEdit(layer, png, prompt, target, null);
    }

    /**
     * {@link #makeEdit(Layer, byte[], String, String)} with the expert restricted to a region of
     * the sequence (null: every position); the maker learns under that restriction, and the
     * positions chosen come back in {@link MadeEdit#tokenMask()}.
     *
     * @throws IllegalArgumentException also for a region the host cannot choose (e.g. attribution
     *     at a module where no visual token carries any)
     */
    MadeEdit makeEdit(Layer layer, byte[] png, String prompt, String target, Region region);

    /**
     * Where an answer rests: the attribution of {@code answer} (null: the host's own answer) to
     * every token position at every module, for one image and question.
     *
     * @throws IllegalArgumentException for an image or answer the host cannot read
     */
    List<Attributed> attribution(byte[] png, String question, String answer);

    /**
     * Answers questions (PNG bytes, or null for a text-only question) with the experts the router
     * picks at {@code version} (null: latest) applied at the layer's module by {@code applier}.
     */
    List<Asked> ask(
        Layer layer, Router router, ExpertApplier applier, List<Question> questions, Long version);
  }

  /**
   * What a maker made for one edit: its keys and its expert (a: rank x d_in, b: d_out x rank), and
   * the positions it acts on (null: every position).
   */
  record MadeEdit(
      float[] visualKey,
      float[] textKey,
      ExpertKind kind,
      int rank,
      float alpha,
      float[] a,
      float[] b,
      double seconds,
      int[] tokenMask) {}

  /**
   * Which positions an edit made from an image acts on ({@code INSERT ... token_mask}): given
   * positions, every visual token, the {@code k} visual tokens with the most attribution to the
   * host's answer, or the fewest visual tokens that carry {@code share} of it.
   */
  sealed interface Region {
    /**
     * The rule as {@code edits.query_region} keeps it ({@code TOP 4}, {@code MASS 0.5}), or null
     * for a region that is the same in every query (positions, VISUAL).
     */
    default String rule() {
      return null;
    }

    /** Positions named by the user. */
    record Positions(int[] positions) implements Region {}

    /** Every visual token of the sequence. */
    record Visual() implements Region {}

    /** The {@code k} visual tokens with the most attribution. */
    record Top(int k) implements Region {
      @Override
      public String rule() {
        return "TOP " + k;
      }
    }

    /** The fewest visual tokens whose attribution adds up to {@code share} of the positive sum. */
    record Mass(double share) implements Region {
      @Override
      public String rule() {
        return "MASS " + share;
      }
    }

    /**
     * {@code 'VISUAL'}, {@code 'TOP k'} or {@code 'MASS p'} (case-insensitive).
     *
     * @throws io.editdb.store.StoreException INVALID_VALUE for anything else, naming the forms
     */
    static Region parse(String text) {
      String t = text.trim().toUpperCase(java.util.Locale.ROOT);
      String[] w = t.split("\\s+");
      try {
        if (w.length == 1 && w[0].equals("VISUAL")) {
          return new Visual();
        }
        if (w.length == 2 && w[0].equals("TOP")) {
          int k = Integer.parseInt(w[1]);
          if (k >= 1) {
            return new Top(k);
          }
        }
        if (w.length == 2 && w[0].equals("MASS")) {
          double p = Double.parseDouble(w[1]);
          if (p > 0 && p <= 1) {
            return new Mass(p);
          }
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new io.editdb.store.StoreException(
          io.editdb.store.StoreException.Kind.INVALID_VALUE,
          "token_mask '"
              + text
              + "' is not a region; give"
              + " positions (ARRAY[1, 2, 5]), 'VISUAL', 'TOP k' (k >= 1 tokens by attribution) or"
              + " 'MASS p' (0 < p <= 1 of the attribution)");
    }
  }

  /**
   * One row of an attribution map: a token position at a module, its integrated-gradients and
   * noise-perturbation scores, whether it is a visual token and, for a visual token, its box in the
   * image's pixels (x, y, width, height; null otherwise).
   */
  record Attributed(
      String module,
      int token,
      boolean visual,
      float integratedGradients,
      float noise,
      int[] box) {}

  /** One question: an image as PNG bytes (null for none) and its text. */
  record Question(byte[] png, String text) {}

  /**
   * One answer: what the base model says, what the edited model says, the edited answer's
   * probability, the edits routed to it (gate descending), and the token positions their experts
   * acted on (empty when nothing was routed).
   */
  record Asked(
      String baseAnswer,
      String answer,
      float probability,
      List<RoutedEdit> routed,
      int[] touched) {}
}
