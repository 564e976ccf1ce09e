package io.editdb.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.optimizer.Optimizer;
import java.util.Map;

/** The optimiser step every trainer of this module takes after its backward pass. */
final class OptimizerSteps {
  private OptimizerSteps() {}

  /**
   * Updates {@code params} from their gradients, unless a gradient is not finite: then nothing is
   * updated (one bad batch must not poison the optimiser's moments and every weight after it; seen
   * once in CI, a short host run whose loss turned NaN). Either way the gradients are zeroed for
   * the next step, since PyTorch accumulates them; filled, not subtracted from themselves, which
   * would leave a NaN behind. Returns whether the step was applied.
   */
  static boolean step(Optimizer optimizer, Map<String, NDArray> params, NDManager scope) {
    boolean finite = true;
    for (NDArray p : params.values()) {
      NDArray grad = p.getGradient();
      grad.attach(scope);
      finite = finite && !grad.isNaN().any().getBoolean() && !grad.isInfinite().any().getBoolean();
    }
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray grad = e.getValue().getGradient();
      if (finite) {
        optimizer.update(e.getKey(), e.getValue(), grad);
        grad.subi(grad);
      } else {
        grad.set(new NDIndex("..."), 0f);
      }
    }
    return finite;
  }
}
