package io.editdb.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.editdb.query.ExpertApplier;
import io.editdb.query.HostBinding;
import io.editdb.query.RouteQuery;
import io.editdb.query.RoutedEdit;
import io.editdb.query.Router;
import io.editdb.query.TextEncoder;
import io.editdb.store.Layer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The edit hook: a host model with EditDB between its two halves at one layer. Per query it takes
 * the host's visual key of the real pixels (of its no-image input for a text-only question) and the
 * question's text key (the host's own, or the text encoder's, as the layer's text_dim says), routes
 * with the store's {@link Router} at a version (hard visual filter, soft text gates), applies the
 * routed experts to the layer's hidden states with {@link ExpertApplier} (the code serving uses)
 * and continues the host from there to its answer.
 *
 * <pre>{@code
 * EditedHost edited = new EditedHost(host, store.layer("scenes_l2"), router, applier,
 *     TextEncoder.shared());
 * EditedHost.Answer a = edited.answer(List.of(HostModel.Input.of(sample)), null).get(0);
 * System.out.println(a.baseAnswer() + " -> " + a.answer() + " via " + a.routed());
 * }</pre>
 *
 * <p>A query with no routed edit gets the base model's logits bit for bit: they are the very logits
 * of the unedited pass, not a recomputation. Safe for concurrent calls.
 */
public final class EditedHost {

  /**
   * One query's outcome.
   *
   * @param baseAnswer the unedited host's answer
   * @param answer the edited host's answer (the base answer when nothing was routed)
   * @param probability the edited answer's softmax probability
   * @param routed the edits routed to the query, gate descending
   * @param logits the edited logits over {@link HostModel#answers()}
   * @param touched the token positions the routed experts acted on, ascending (none when nothing
   *     was routed)
   */
  public record Answer(
      String baseAnswer,
      String answer,
      float probability,
      List<RoutedEdit> routed,
      float[] logits,
      int[] touched) {}

  /** Where an edit acts: its token mask (null: everywhere) and its query region rule (or null). */
  private record Where(int[] mask, HostBinding.Region region) {}

  private final HostModel host;
  private final Layer layer;
  private final Router router;
  private final ExpertApplier applier;
  private final TextEncoder encoder;
  private final Map<Long, Where> where = new ConcurrentHashMap<>(); // edits never change

  /**
   * @param layer a store layer whose module is one of the host's layers, with d_in = d_out = the
   *     host's hidden size and visual_dim = its visual key width
   * @throws IllegalArgumentException when the layer does not fit the host
   */
  public EditedHost(
      HostModel host, Layer layer, Router router, ExpertApplier applier, TextEncoder encoder) {
    if (host == null || layer == null || router == null || applier == null || encoder == null) {
      throw new IllegalArgumentException(
          "an edited host needs a host, a layer, a router, an applier and a text encoder; one is"
              + " null; pass all five");
    }
    checkFits(host, layer, true);
    this.host = host;
    this.layer = layer;
    this.router = router;
    this.applier = applier;
    this.encoder = encoder;
  }

  /** Refuses a layer whose module or widths do not match the host. */
  static void checkFits(HostModel host, Layer layer) {
    checkFits(host, layer, false);
  }

  /**
   * @param textOnly whether a text-only layer (visual_dim 0, its keys given explicitly) is
   *     accepted: it routes by the question alone
   */
  private static void checkFits(HostModel host, Layer layer, boolean textOnly) {
    if (!host.layers().contains(layer.module())) {
      throw new IllegalArgumentException(
          "layer "
              + layer.name()
              + " has module '"
              + layer.module()
              + "', which is not a layer of "
              + host.name()
              + "; its layers are "
              + host.layers()
              + "; create the layer with one of them as MODULE");
    }
    int d = host.hiddenSize();
    boolean visualFits =
        layer.visualDim() == host.visualKeyDim() || (textOnly && layer.visualDim() == 0);
    List<Integer> textDims = QuestionKeys.widths(host);
    if (layer.dIn() != d
        || layer.dOut() != d
        || !visualFits
        || !textDims.contains(layer.textDim())) {
      throw new IllegalArgumentException(
          "layer "
              + layer.name()
              + " has d_in "
              + layer.dIn()
              + ", d_out "
              + layer.dOut()
              + ", visual_dim "
              + layer.visualDim()
              + ", text_dim "
              + layer.textDim()
              + " but "
              + host.name()
              + " needs "
              + d
              + ", "
              + d
              + ", "
              + host.visualKeyDim()
              + ", one of "
              + textDims
              + "; create the layer with HOST and leave the widths out, so they come"
              + " from the host");
    }
  }

  public HostModel host() {
    return host;
  }

  public Layer layer() {
    return layer;
  }

  /**
   * Answers a batch of queries at {@code version} (null: the latest).
   *
   * @throws IllegalArgumentException for an input the host cannot read or an unknown version
   */
  public List<Answer> answer(List<HostModel.Input> inputs, Long version) {
    return answer(inputs, version, null);
  }

  /**
   * {@link #answer(List, Long)} with the hard filter's threshold for these queries ({@code
   * visualThreshold}; null: the layer's own), as {@code ROUTE} takes one.
   */
  public List<Answer> answer(List<HostModel.Input> inputs, Long version, Double visualThreshold) {
    if (inputs == null || inputs.isEmpty()) {
      throw new IllegalArgumentException(
          "answer needs at least one input; got "
              + (inputs == null ? "null" : "none")
              + "; pass one (image, question) per query");
    }
    int n = inputs.size();
    List<String> questions = new ArrayList<>(n);
    for (HostModel.Input in : inputs) {
      if (in == null) {
        throw new IllegalArgumentException(
            "an input is null; pass an Input with a question (and an image or null)");
      }
      questions.add(in.question());
    }
    String module = layer.module();
    // The host computes on the CPU; the applier returns its result on the hidden states' device.
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      // The host reads the inputs first, so an input it cannot read is refused before routing.
      NDArray hidden = host.hiddenAt(module, inputs, m);
      float[] base = host.continueFrom(module, hidden).toFloatArray();
      float[][] textKeys = QuestionKeys.of(host, layer.textDim(), encoder, questions);
      List<List<RoutedEdit>> routed = new ArrayList<>(n);
      List<List<RoutedEdit>> gates = new ArrayList<>(n);
      List<int[]> touched = new ArrayList<>(n);
      int width = host.answers().size();
      boolean any = false;
      for (int i = 0; i < n; i++) {
        HostModel.Input in = inputs.get(i);
        // A visual layer keys a text-only question too (the host's no-image key), so that it is
        // searched like any other query; a text-only layer routes by the question alone.
        float[] visual = layer.hasVisual() ? host.visualKey(in.image()) : null;
        List<RoutedEdit> r =
            router.route(
                new RouteQuery(layer.name(), visual, textKeys[i], version, visualThreshold));
        routed.add(List.copyOf(r));
        List<RoutedEdit> g = new ArrayList<>(r.size());
        boolean[] on = new boolean[host.sequenceLength()];
        Attribution.Result own = null; // this query's attribution, once, if a region needs it
        for (RoutedEdit e : r) {
          Where w = where.computeIfAbsent(e.editId(), this::where);
          int[] positions = null;
          if (w.region() != null) {
            if (own == null && in.image() != null) {
              own =
                  new Attribution(host, Attribution.Options.defaults())
                      .attribute(in, host.answers().get(argMax(slice(base, i, width))), module);
            }
            positions = own == null ? new int[0] : own.regionOrNone(w.region());
          }
          int[] acts = positions != null ? positions : w.mask();
          for (int t = 0; t < on.length; t++) {
            on[t] |= acts == null || Arrays.binarySearch(acts, t) >= 0;
          }
          g.add(e.at(positions)); // the router's record, narrowed to this query's region
        }
        gates.add(g);
        touched.add(positions(on));
        any |= !r.isEmpty();
      }
      float[] edited = base;
      if (any) {
        edited = host.continueFrom(module, applier.apply(hidden, gates, null)).toFloatArray();
      }
      List<Answer> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        // A query nothing was routed to keeps the unedited row itself, not a recomputation.
        float[] row = slice(routed.get(i).isEmpty() ? base : edited, i, width);
        int best = argMax(row);
        out.add(
            new Answer(
                host.answers().get(argMax(slice(base, i, width))),
                host.answers().get(best),
                softmaxAt(row, best),
                routed.get(i),
                row,
                touched.get(i)));
      }
      return out;
    }
  }

  private Where where(long editId) {
    io.editdb.store.EditRecord e = router.store().edit(editId);
    return new Where(
        e.tokenMask(), e.queryRegion() == null ? null : HostBinding.Region.parse(e.queryRegion()));
  }

  /** The true positions, ascending. */
  static int[] positions(boolean[] flags) {
    int n = 0;
    int[] out = new int[flags.length];
    for (int t = 0; t < flags.length; t++) {
      if (flags[t]) {
        out[n++] = t;
      }
    }
    return Arrays.copyOf(out, n);
  }

  private static float[] slice(float[] all, int row, int width) {
    float[] out = new float[width];
    System.arraycopy(all, row * width, out, 0, width);
    return out;
  }

  static int argMax(float[] v) {
    int best = 0;
    for (int j = 1; j < v.length; j++) {
      if (v[j] > v[best]) {
        best = j;
      }
    }
    return best;
  }

  private static float softmaxAt(float[] v, int k) {
    double max = v[argMax(v)];
    double sum = 0;
    for (float x : v) {
      sum += Math.exp(x - max);
    }
    return (float) (Math.exp(v[k] - max) / sum);
  }

  @Override
  public String toString() {
    return "EditedHost{host="
        + host.name()
        + ", layer="
        + layer.name()
        + ", module="
        + layer.module()
        + ", router="
        + router
        + ", applier="
        + applier
        + "}";
  }
}
