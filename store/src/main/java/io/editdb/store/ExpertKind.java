package io.editdb.store;

/**
 * The form of an expert's delta.
 *
 * <ul>
 *   <li>{@link #LORA}: delta(h) = alpha * B (A h)
 *   <li>{@link #LIVEEDIT}: delta(h) = alpha * B relu(A ln(h)), ln = layer norm without affine
 *       parameters (LiveEdit's expert; its U is our A, its V transposed is our B)
 * </ul>
 */
public enum ExpertKind {
  LORA,
  LIVEEDIT
}
