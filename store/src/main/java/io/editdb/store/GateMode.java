package io.editdb.store;

/**
 * How text scores s_e of the candidates become gates.
 *
 * <ul>
 *   <li>{@link #LIVEEDIT}: w_e = sigmoid(s_e) * softmax(s)_e over the candidates
 *   <li>{@link #SOFTMAX}: w_e = exp(s_e/T) / (exp(null_logit/T) + sum_c exp(s_c/T)): a query that
 *       matches nothing well sends its weight to "no edit"
 * </ul>
 */
public enum GateMode {
  LIVEEDIT,
  SOFTMAX
}
