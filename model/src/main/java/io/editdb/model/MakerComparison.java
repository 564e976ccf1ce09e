package io.editdb.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.editdb.query.ApplierConfig;
import io.editdb.query.ExpertApplier;
import io.editdb.query.RoutedEdit;
import io.editdb.store.ExpertWeights;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * How an expert maker does on counterfactual edits of the test split, each expert applied alone at
 * its layer with no routing: the comparison of {@link GeneratorExpertMaker} against {@link
 * FitExpertMaker} that {@link GeneratorTrainer} records with the shipped generator, and the quality
 * checks of the makers' tests.
 */
final class MakerComparison {
  private MakerComparison() {}

  /** One edit of the comparison: a test sample and its counterfactual target. */
  record Edit(Sample sample, String target) {}

  /**
   * {@code n} counterfactual edits of test samples (the training mix of kinds), each with a target
   * of its question type other than the host's answer, drawn with {@code seed}.
   */
  static List<Edit> testEdits(HostModel host, Scenes scenes, int n, long seed) {
    Map<QuestionType, int[]> byType = GeneratorTrainer.answersByType(scenes, host);
    Random rnd = new Random(seed);
    List<Edit> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Sample s = scenes.sample(Split.TEST, i);
      String before;
      try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
        before =
            host.answers()
                .get((int) host.logits(List.of(HostModel.Input.of(s)), m).argMax(1).getLong(0));
      }
      int[] choices = byType.get(s.type());
      String t;
      do {
        t = host.answers().get(choices[rnd.nextInt(choices.length)]);
      } while (t.equals(before));
      out.add(new Edit(s, t));
    }
    return out;
  }

  /**
   * How one expert maker did on a list of edits, each expert applied alone through {@code
   * ExpertApplier} with gate 1 (no routing): edit success, held-out paraphrase, another drawing
   * (edits with an image only), unrelated test samples unchanged (all of them, and those asking the
   * edit's own question type, the harder probe), and time per edit.
   */
  public record Quality(
      String maker,
      int edits,
      double success,
      double paraphrase,
      double redraw,
      int redraws,
      double locality,
      int localitySamples,
      double sameTypeLocality,
      long sameTypePairs,
      double msPerEdit) {}

  /** Measures a maker (a function from an edit to its expert) on {@code edits}. */
  static Quality measure(
      String name,
      HostModel host,
      String layer,
      Scenes scenes,
      List<Edit> edits,
      int localitySamples,
      BiFunction<HostModel.Input, String, ExpertWeights> maker) {
    return measure(name, host, layer, scenes, edits, localitySamples, 1f, maker);
  }

  /** {@link #measure} with every expert applied at {@code gate} (what a router might give it). */
  static Quality measure(
      String name,
      HostModel host,
      String layer,
      Scenes scenes,
      List<Edit> edits,
      int localitySamples,
      float gate,
      BiFunction<HostModel.Input, String, ExpertWeights> maker) {
    List<HostModel.Input> unrelated = new ArrayList<>();
    List<QuestionType> unrelatedTypes = new ArrayList<>();
    for (int i = 0; i < localitySamples; i++) {
      Sample u = scenes.sample(Split.TEST, 100_000 + i);
      unrelated.add(HostModel.Input.of(u));
      unrelatedTypes.add(u.type());
    }
    Map<Long, ExpertWeights> made = new HashMap<>();
    int success = 0;
    int para = 0;
    int redraw = 0;
    int redraws = 0;
    long kept = 0;
    long sameKept = 0;
    long samePairs = 0;
    double nanos = 0;
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        ExpertApplier applier = ExpertApplier.create(ApplierConfig.defaults(), made::get)) {
      NDArray hu = host.hiddenAt(layer, unrelated, m);
      long[] baseU = host.continueFrom(layer, hu).argMax(1).toLongArray();
      long id = 0;
      for (Edit e : edits) {
        Sample s = e.sample();
        long t0 = System.nanoTime();
        ExpertWeights w = maker.apply(HostModel.Input.of(s), e.target());
        nanos += System.nanoTime() - t0;
        made.put(
            ++id,
            new ExpertWeights(id, w.kind(), w.rank(), w.dIn(), w.dOut(), w.alpha(), w.a(), w.b()));
        List<HostModel.Input> probes = new ArrayList<>();
        probes.add(HostModel.Input.of(s));
        probes.add(HostModel.Input.of(scenes.rephrase(s, Phrasing.HELD_OUT, 0)));
        if (s.hasImage()) {
          probes.add(HostModel.Input.of(scenes.redraw(s, 1)));
        }
        try (NDManager q = m.newSubManager()) {
          NDArray hProbe = host.hiddenAt(layer, probes, q);
          NDArray h = hProbe.concat(hu, 0);
          List<List<RoutedEdit>> routed = new ArrayList<>();
          for (long r = h.getShape().get(0); r > 0; r--) {
            routed.add(List.of(new RoutedEdit(id, gate)));
          }
          long[] after =
              host.continueFrom(layer, applier.apply(h, routed, null)).argMax(1).toLongArray();
          int t = host.answers().indexOf(e.target());
          success += after[0] == t ? 1 : 0;
          para += after[1] == t ? 1 : 0;
          int off = 2;
          if (s.hasImage()) {
            redraw += after[2] == t ? 1 : 0;
            redraws++;
            off = 3;
          }
          for (int j = 0; j < baseU.length; j++) {
            kept += after[off + j] == baseU[j] ? 1 : 0;
            if (unrelatedTypes.get(j) == s.type()) {
              sameKept += after[off + j] == baseU[j] ? 1 : 0;
              samePairs++;
            }
          }
        }
        made.remove(id);
      }
    }
    int n = edits.size();
    return new Quality(
        name,
        n,
        success / (double) n,
        para / (double) n,
        redraws == 0 ? Double.NaN : redraw / (double) redraws,
        redraws,
        kept / (double) ((long) n * localitySamples),
        localitySamples,
        samePairs == 0 ? Double.NaN : sameKept / (double) samePairs,
        samePairs,
        nanos / 1e6 / n);
  }
}
