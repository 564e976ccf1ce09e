package io.editdb.model;

import io.editdb.query.ExpertApplier;
import io.editdb.query.HostBinding;
import io.editdb.query.Router;
import io.editdb.query.TextEncoder;
import io.editdb.store.Layer;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link HostModel} as a bound layer sees it ({@link HostBinding.Host}): its widths, the edit
 * of an image made into keys and a fitted expert, and answers with routed experts applied
 * ({@link EditedHost}). Keys: the host's visual key of the real pixels, and the built-in text
 * encoder's key of the prompt.
 */
final class HostEditing implements HostBinding.Host {
  /** The makers this class runs. */
  static final List<String> MAKERS = List.of("FIT");

  private final String name;
  private final HostModel host;
  private final int imageSize;
  private final FitExpertMaker.Options fit;
  private final List<HostModel.Input> locality;

  /**
   * @param fit how experts are fitted (kind and rank then follow each layer)
   * @param locality inputs whose answers a fitted expert must keep (may be empty)
   */
  HostEditing(String name, HostModel host, int imageSize, FitExpertMaker.Options fit,
      List<HostModel.Input> locality) {
    this.name = name;
    this.host = host;
    this.imageSize = imageSize;
    this.fit = fit;
    this.locality = List.copyOf(locality);
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
    return TextEncoder.DIMENSION;
  }

  @Override
  public List<String> makers() {
    return MAKERS;
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
  public HostBinding.MadeEdit makeEdit(Layer layer, byte[] png, String prompt, String target) {
    EditedHost.checkFits(host, layer, TextEncoder.DIMENSION);
    String maker = layer.maker() == null ? "FIT" : layer.maker();
    if (!MAKERS.contains(maker)) {
      throw new IllegalArgumentException("layer " + layer.name() + " has maker " + maker
          + ", which " + name + " does not run; its makers are " + MAKERS
          + "; create the layer with MAKER FIT");
    }
    if (prompt == null || target == null) {
      throw new IllegalArgumentException("an edit from an image needs a prompt and a target;"
          + " prompt=" + prompt + ", target=" + target + "; give both");
    }
    if (!host.answers().contains(target)) {
      throw new IllegalArgumentException("target '" + target + "' is not one of the "
          + host.answers().size() + " answers " + name + " can give; it starts "
          + host.answers().subList(0, Math.min(8, host.answers().size()))
          + "; pick a target among the host's answers");
    }
    BufferedImage image = PngImages.decode(png, imageSize);
    HostModel.Input edit = new HostModel.Input(image, prompt);
    FitExpertMaker.Options o = new FitExpertMaker.Options(Math.min(fit.rank(), layer.maxRank()),
        layer.expertKind(), fit.alpha(), fit.gate(), fit.margin(), fit.maxSteps(),
        fit.learningRate(), fit.localityWeight(), fit.seed());
    FitExpertMaker.Fit f = new FitExpertMaker(host, layer.module(), o).fit(edit, target, locality);
    if (!f.reached()) {
      throw new IllegalArgumentException("the fit of " + name + " at " + layer.module()
          + " did not make '" + target + "' the answer by a margin of " + o.margin() + " in "
          + f.steps() + " steps (margin " + f.margin() + ", locality kept " + f.localityKept()
          + " of " + f.localityCount() + "); nothing was inserted. Check that the prompt asks"
          + " what the target answers, or give the expert's weights yourself");
    }
    float[] textKey = TextEncoder.shared().encode(prompt);
    return new HostBinding.MadeEdit(host.visualKey(image), textKey, f.kind(), f.rank(),
        f.alpha(), f.a(), f.b(), f.seconds());
  }

  @Override
  public List<HostBinding.Asked> ask(Layer layer, Router router, ExpertApplier applier,
      List<HostBinding.Question> questions, Long version) {
    List<HostModel.Input> inputs = new ArrayList<>(questions.size());
    for (HostBinding.Question q : questions) {
      BufferedImage image = q.png() == null ? null : PngImages.decode(q.png(), imageSize);
      inputs.add(new HostModel.Input(image, q.text()));
    }
    List<EditedHost.Answer> answers =
        new EditedHost(host, layer, router, applier, TextEncoder.shared()).answer(inputs, version);
    return answers.stream()
        .map(a -> new HostBinding.Asked(a.baseAnswer(), a.answer(), a.probability(), a.routed()))
        .toList();
  }

  @Override
  public String toString() {
    return "HostEditing{name=" + name + ", host=" + host.name() + ", image=" + imageSize + "x"
        + imageSize + ", fit=" + fit + ", locality=" + locality.size() + "}";
  }
}
