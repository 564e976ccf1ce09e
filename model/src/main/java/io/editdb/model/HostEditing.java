package io.editdb.model;

import io.editdb.query.ExpertApplier;
import io.editdb.query.HostBinding;
import io.editdb.query.Router;
import io.editdb.query.TextEncoder;
import io.editdb.store.ExpertWeights;
import io.editdb.store.Layer;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link HostModel} as a bound layer sees it ({@link HostBinding.Host}): its widths, the edit of
 * an image made into keys and a fitted expert, and answers with routed experts applied ({@link
 * EditedHost}). Keys: the host's visual key of the real pixels, and the built-in text encoder's key
 * of the prompt.
 */
final class HostEditing implements HostBinding.Host {
  /** The maker every host runs: optimise A and B on the edit (FitExpertMaker). */
  static final String FIT = "FIT";

  /** LiveEdit's hypernetwork (GeneratorExpertMaker), where a host has a trained one. */
  static final String GENERATOR = "GENERATOR";

  private final String name;
  private final HostModel host;
  private final int imageSize;
  private final FitExpertMaker.Options fit;
  private final List<HostModel.Input> locality;
  private final GeneratorExpertMaker generator; // null: the host has none

  /**
   * @param fit how experts are fitted (kind and rank then follow each layer)
   * @param locality inputs whose answers a fitted expert must keep (may be empty)
   */
  HostEditing(
      String name,
      HostModel host,
      int imageSize,
      FitExpertMaker.Options fit,
      List<HostModel.Input> locality) {
    this(name, host, imageSize, fit, locality, null);
  }

  /**
   * @param generator the host's trained generator, or null
   */
  HostEditing(
      String name,
      HostModel host,
      int imageSize,
      FitExpertMaker.Options fit,
      List<HostModel.Input> locality,
      GeneratorExpertMaker generator) {
    this.name = name;
    this.host = host;
    this.imageSize = imageSize;
    this.fit = fit;
    this.locality = List.copyOf(locality);
    this.generator = generator;
  }

  HostModel host() {
    return host;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<String> modules() {
    return host.layers();
  }

  @Override
  public int hiddenSize() {
    return host.hiddenSize();
  }

  @Override
  public int visualDim() {
    return host.visualKeyDim();
  }

  @Override
  public int textDim() {
    return textDims().get(0);
  }

  @Override
  public List<Integer> textDims() {
    return QuestionKeys.widths(host);
  }

  @Override
  public float[] textKey(Layer layer, String text) {
    return QuestionKeys.of(host, layer.textDim(), TextEncoder.shared(), List.of(text))[0];
  }

  @Override
  public List<String> makers() {
    return generator == null ? List.of(FIT) : List.of(FIT, GENERATOR);
  }

  @Override
  public List<String> answers() {
    return host.answers();
  }

  @Override
  public int imageSize() {
    return imageSize;
  }

  @Override
  public int sequenceLength() {
    return host.sequenceLength();
  }

  @Override
  public HostBinding.MadeEdit makeEdit(
      Layer layer, byte[] png, String prompt, String target, HostBinding.Region region) {
    EditedHost.checkFits(host, layer);
    String maker = layer.maker() == null ? FIT : layer.maker();
    if (!makers().contains(maker)) {
      throw new IllegalArgumentException(
          "layer "
              + layer.name()
              + " has maker "
              + maker
              + ", which "
              + name
              + " does not run; its makers are "
              + makers()
              + "; create the layer with MAKER FIT");
    }
    if (prompt == null || target == null) {
      throw new IllegalArgumentException(
          "an edit from an image needs a prompt and a target;"
              + " prompt="
              + prompt
              + ", target="
              + target
              + "; give both");
    }
    if (!host.answers().contains(target)) {
      throw new IllegalArgumentException(
          "target '"
              + target
              + "' is not one of the "
              + host.answers().size()
              + " answers "
              + name
              + " can give; it starts "
              + host.answers().subList(0, Math.min(8, host.answers().size()))
              + "; pick a target among the host's answers");
    }
    BufferedImage image = PngImages.decode(png, imageSize);
    HostModel.Input edit = new HostModel.Input(image, prompt);
    int[] mask = mask(layer, edit, region);
    float[] textKey = textKey(layer, prompt);
    if (maker.equals(GENERATOR)) {
      return generate(layer, edit, target, host.visualKey(image), textKey, mask);
    }
    FitExpertMaker.Fit f =
        fitted(
            layer,
            edit,
            target,
            Math.min(fit.rank(), layer.maxRank()),
            layer.expertKind(),
            fit.alpha(),
            null,
            mask);
    return new HostBinding.MadeEdit(
        host.visualKey(image),
        textKey,
        f.kind(),
        f.rank(),
        f.alpha(),
        f.a(),
        f.b(),
        f.seconds(),
        f.tokenMask());
  }

  /**
   * A fit with the host's fit settings at the layer's module, from {@code from} (null: fresh) and
   * under {@code mask} (null: every position).
   *
   * @throws IllegalArgumentException when it does not reach the target; nothing is made
   */
  private FitExpertMaker.Fit fitted(
      Layer layer,
      HostModel.Input edit,
      String target,
      int rank,
      io.editdb.store.ExpertKind kind,
      float alpha,
      FitExpertMaker.Fit from,
      int[] mask) {
    FitExpertMaker.Options o =
        new FitExpertMaker.Options(
            rank,
            kind,
            alpha,
            fit.gate(),
            fit.margin(),
            fit.maxSteps(),
            fit.learningRate(),
            fit.localityWeight(),
            fit.seed());
    FitExpertMaker.Fit f =
        new FitExpertMaker(host, layer.module(), o).fit(edit, target, locality, from, mask);
    if (!f.reached()) {
      throw new IllegalArgumentException(
          "the fit of "
              + name
              + " at "
              + layer.module()
              + (mask == null ? "" : " on positions " + java.util.Arrays.toString(mask))
              + " did not make '"
              + target
              + "' the answer by a margin of "
              + o.margin()
              + " in "
              + f.steps()
              + " steps (margin "
              + f.margin()
              + ", locality kept "
              + f.localityKept()
              + " of "
              + f.localityCount()
              + "); nothing was inserted. Check that the prompt asks"
              + " what the target answers"
              + (mask == null ? "" : ", that the region can carry it")
              + ", or give the expert's weights yourself");
    }
    return f;
  }

  /**
   * The positions an edit acts on (null: all): as given, every visual token, or chosen by
   * integrated-gradient attribution of the host's own answer to the edit's input at the layer's
   * module (the region that answer rests on, which the edit is to change).
   */
  private int[] mask(Layer layer, HostModel.Input edit, HostBinding.Region region) {
    if (region == null) {
      return null;
    }
    return switch (region) {
      case HostBinding.Region.Positions p -> p.positions().clone();
      case HostBinding.Region.Visual v -> EditedHost.positions(host.visualPositions());
      case HostBinding.Region.Top t -> chosen(layer, edit, t);
      case HostBinding.Region.Mass m -> chosen(layer, edit, m);
    };
  }

  /** The region a rule chooses by attribution of the host's own answer on the edit's input. */
  private int[] chosen(Layer layer, HostModel.Input edit, HostBinding.Region rule) {
    return attribution().attribute(edit, ownAnswer(edit), layer.module()).region(rule);
  }

  private String ownAnswer(HostModel.Input input) {
    try (ai.djl.ndarray.NDManager m =
        ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
      return host.answers().get((int) host.logits(List.of(input), m).argMax(1).getLong(0));
    }
  }

  private Attribution attribution() {
    return new Attribution(host, Attribution.Options.defaults());
  }

  @Override
  public List<HostBinding.Attributed> attribution(byte[] png, String question, String answer) {
    if (png == null || question == null) {
      throw new IllegalArgumentException(
          "attribution needs an image and a question; got "
              + (png == null ? "no image" : "no question")
              + "; give both");
    }
    HostModel.Input input = new HostModel.Input(PngImages.decode(png, imageSize), question);
    String a = answer == null ? ownAnswer(input) : answer;
    List<HostBinding.Attributed> out = new ArrayList<>();
    for (Attribution.Result r : attribution().attributeAll(input, a)) {
      for (int t = 0; t < r.visual().length; t++) {
        out.add(
            new HostBinding.Attributed(
                r.layer(),
                t,
                r.visual()[t],
                r.integratedGradients()[t],
                r.noise()[t],
                r.visual()[t] ? host.tokenBox(t) : null));
      }
    }
    return out;
  }

  /**
   * One forward pass of the generator. It was trained for one module, kind and rank: a layer that
   * differs is refused rather than given an expert of another shape.
   */
  private HostBinding.MadeEdit generate(
      Layer layer,
      HostModel.Input edit,
      String target,
      float[] visualKey,
      float[] textKey,
      int[] mask) {
    GeneratorExpertMaker.Options g = generator.options();
    if (!layer.module().equals(g.layer())
        || layer.expertKind() != g.kind()
        || layer.maxRank() < g.rank()) {
      throw new IllegalArgumentException(
          "the generator of "
              + name
              + " makes rank-"
              + g.rank()
              + " "
              + g.kind()
              + " experts at "
              + g.layer()
              + ", but layer "
              + layer.name()
              + " is "
              + layer.expertKind()
              + " at "
              + layer.module()
              + " with MAX_RANK "
              + layer.maxRank()
              + "; create the layer with MODULE '"
              + g.layer()
              + "', EXPERT_KIND "
              + g.kind()
              + ", or use MAKER FIT");
    }
    long start = System.nanoTime();
    ExpertWeights w = generator.make(edit, target);
    if (mask != null) {
      // The generator was trained for every position: its expert, refined under the region until
      // it reaches the target there, is the edit (no steps when it already does).
      FitExpertMaker.Fit f =
          fitted(
              layer,
              edit,
              target,
              w.rank(),
              w.kind(),
              w.alpha(),
              FitExpertMaker.Fit.start(w),
              mask);
      return new HostBinding.MadeEdit(
          visualKey,
          textKey,
          f.kind(),
          f.rank(),
          f.alpha(),
          f.a(),
          f.b(),
          (System.nanoTime() - start) / 1e9,
          f.tokenMask());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new HostBinding.MadeEdit(
        visualKey, textKey, w.kind(), w.rank(), w.alpha(), w.a(), w.b(), seconds, mask);
  }

  @Override
  public List<HostBinding.Asked> ask(
      Layer layer,
      Router router,
      ExpertApplier applier,
      List<HostBinding.Question> questions,
      Long version) {
    List<HostModel.Input> inputs = new ArrayList<>(questions.size());
    for (HostBinding.Question q : questions) {
      BufferedImage image = q.png() == null ? null : PngImages.decode(q.png(), imageSize);
      inputs.add(new HostModel.Input(image, q.text()));
    }
    List<EditedHost.Answer> answers =
        new EditedHost(host, layer, router, applier, TextEncoder.shared()).answer(inputs, version);
    return answers.stream()
        .map(
            a ->
                new HostBinding.Asked(
                    a.baseAnswer(), a.answer(), a.probability(), a.routed(), a.touched()))
        .toList();
  }

  @Override
  public String toString() {
    return "HostEditing{name="
        + name
        + ", host="
        + host.name()
        + ", image="
        + imageSize
        + "x"
        + imageSize
        + ", fit="
        + fit
        + ", locality="
        + locality.size()
        + "}";
  }
}
