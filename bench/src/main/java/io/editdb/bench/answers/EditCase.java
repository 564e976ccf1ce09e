package io.editdb.bench.answers;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.editdb.model.DrawnObject;
import io.editdb.model.HostModel;
import io.editdb.model.Phrasing;
import io.editdb.model.QuestionType;
import io.editdb.model.Sample;
import io.editdb.model.Scenes;
import io.editdb.model.Split;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * One counterfactual edit of a drawn scene and the probes that measure it: the LiveEdit paper's
 * five (Rel, T-Gen, M-Gen, T-Loc, M-Loc) and two harder locality probes that share the edit's image
 * or its question, so that routing which keys on one of the two alone fails them.
 *
 * @param edit the sample edited (its image and its training-phrasing question)
 * @param target the new answer: of the question's type, not the host's own answer
 * @param probes one per {@link ProbeKind}, in that order
 */
record EditCase(Sample edit, String target, List<Probe> probes) {

  /** What a probe asks and which answer counts as right. */
  enum ProbeKind {
    /** The edit itself: the target. */
    REL("Rel", true),
    /** The edit's image, a held-out paraphrase of its question (never trained on): the target. */
    T_GEN("T-Gen", true),
    /** Another drawing of the same entity or scene, the same question: the target. */
    M_GEN("M-Gen", true),
    /** A text-only question (no image): the host's own answer, unchanged. */
    T_LOC("T-Loc", false),
    /** An unrelated picture and its own question: unchanged. */
    M_LOC("M-Loc", false),
    /** The edit's own picture with another question about it: unchanged. */
    M_LOC_IMAGE("M-Loc same image", false),
    /** Another picture of the same kind asked the edit's question: unchanged. */
    M_LOC_QUESTION("M-Loc same question", false);

    final String label;
    final boolean wantsTarget;

    ProbeKind(String label, boolean wantsTarget) {
      this.label = label;
      this.wantsTarget = wantsTarget;
    }
  }

  /** One query and the answer that passes it. */
  record Probe(ProbeKind kind, HostModel.Input input, String expect) {}

  /**
   * {@code n} edits of {@code split}: scenes of entities and of objects (text-only questions are
   * T-Loc's), at most one edit per (entity, question type) so that no two edits contradict each
   * other, each with a target drawn with {@code seed}. Locality probes come from indices no edit
   * uses; their expected answers are the unedited host's; none asks a fact that any edit of the
   * list changes (a company's country asked on another drawing of it is generality, not locality:
   * the edit should change it).
   */
  static List<EditCase> build(Scenes scenes, HostModel host, Split split, int n, long seed) {
    Random rnd = new Random(seed);
    Set<String> seen = new HashSet<>();
    List<Sample> edits = new ArrayList<>(n);
    for (long i = 0; edits.size() < n; i++) {
      Sample s = scenes.sample(split, i);
      if (s.type().kind() != QuestionType.Kind.TEXT && seen.add(fact(s.type(), s))) {
        edits.add(s);
      }
    }
    long far = 10_000_000L; // locality samples: indices no edit reaches
    List<HostModel.Input[]> inputs = new ArrayList<>(n);
    for (Sample s : edits) {
      Sample tloc = scenes.sample(split, far++, QuestionType.Kind.TEXT, Phrasing.TRAIN, 0);
      Sample mloc = scenes.sample(split, far++);
      while (!mloc.hasImage() || seen.contains(fact(mloc.type(), mloc))) {
        mloc = scenes.sample(split, far++);
      }
      Sample other = scenes.sample(split, far++, s.type().kind(), Phrasing.TRAIN, 0);
      while ((other.entityId() >= 0 && other.entityId() == s.entityId())
          || seen.contains(fact(s.type(), other))) {
        other = scenes.sample(split, far++, s.type().kind(), Phrasing.TRAIN, 0);
      }
      int heldOut = s.type().templates(Phrasing.HELD_OUT).size();
      inputs.add(
          new HostModel.Input[] {
            HostModel.Input.of(s),
            HostModel.Input.of(scenes.rephrase(s, Phrasing.HELD_OUT, rnd.nextInt(heldOut))),
            HostModel.Input.of(scenes.redraw(s, 1)),
            HostModel.Input.of(tloc),
            HostModel.Input.of(mloc),
            new HostModel.Input(s.image(), otherQuestion(s, seen)),
            new HostModel.Input(other.image(), s.question())
          });
    }
    // The unedited host's answers: the edit's (a target must differ) and the locality probes'.
    List<HostModel.Input> flat = new ArrayList<>();
    inputs.forEach(a -> flat.addAll(List.of(a)));
    List<String> base = answers(host, flat);
    List<EditCase> out = new ArrayList<>(n);
    int per = ProbeKind.values().length;
    for (int c = 0; c < edits.size(); c++) {
      Sample s = edits.get(c);
      List<String> choices = scenes.answersOf(s.type());
      String before = base.get(c * per);
      String target;
      do {
        target = choices.get(rnd.nextInt(choices.size()));
      } while (target.equals(before));
      List<Probe> probes = new ArrayList<>(per);
      for (ProbeKind k : ProbeKind.values()) {
        probes.add(
            new Probe(
                k,
                inputs.get(c)[k.ordinal()],
                k.wantsTarget ? target : base.get(c * per + k.ordinal())));
      }
      out.add(new EditCase(s, target, probes));
    }
    return out;
  }

  /** The unedited host's answers, in batches. */
  static List<String> answers(HostModel host, List<HostModel.Input> inputs) {
    List<String> out = new ArrayList<>(inputs.size());
    for (int from = 0; from < inputs.size(); from += 256) {
      List<HostModel.Input> batch = inputs.subList(from, Math.min(inputs.size(), from + 256));
      try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
        for (long a : host.logits(batch, m).argMax(1).toLongArray()) {
          out.add(host.answers().get((int) a));
        }
      }
    }
    return out;
  }

  /**
   * The fact a question type asks about a sample: (type, entity) for a drawn company, (type, scene)
   * for a scene of objects; one edit per fact.
   */
  static String fact(QuestionType type, Sample s) {
    return type
        + "/"
        + (s.entityId() >= 0 ? "entity" + s.entityId() : s.split() + "/scene" + s.index());
  }

  /**
   * Another question about the same picture: the next question type of the same kind whose fact no
   * edit changes, in its first training phrasing, about the first object drawn (the one the edit
   * asks about); when every type's fact is edited, a question of the other kind.
   */
  static String otherQuestion(Sample s, Set<String> edited) {
    List<QuestionType> same = new ArrayList<>();
    for (QuestionType t : QuestionType.values()) {
      if (t.kind() == s.type().kind()) {
        same.add(t);
      }
    }
    QuestionType next = null;
    for (int step = 1; step < same.size() && next == null; step++) {
      QuestionType t = same.get((same.indexOf(s.type()) + step) % same.size());
      if (!edited.contains(fact(t, s))) {
        next = t;
      }
    }
    if (next == null) {
      next =
          s.type().kind() == QuestionType.Kind.ENTITY
              ? QuestionType.COUNT
              : QuestionType.LOGO_SHAPE;
    }
    String q = next.templates(Phrasing.TRAIN).get(0);
    if (!s.objects().isEmpty()) {
      DrawnObject first = s.objects().get(0);
      String[] words = first.what().split(" "); // "<size> <colour> <shape>", or "logo"
      if (words.length == 3) {
        q = q.replace("{colour}", words[1]).replace("{shape}", words[2]);
      }
    }
    return q;
  }
}
