package io.editdb.store;

import static io.editdb.store.StoreException.Kind.INVALID_VALUE;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;

/**
 * The routing and expert options of a layer, each declared once: its name in SQL ({@code CREATE
 * LAYER l (..., TOP_K 4)}, and the column of {@code layers}, lower case), its type, its default,
 * its rule, and where the history chain hashes it. The parser, the layer builder, the row insert
 * and read, and the layer hash all loop over this declaration; adding an option is one constant
 * here, one accessor on {@link Layer} and a migration that adds its column.
 *
 * <p>Hashing: options of schema version 1 are hashed in declaration order among the layer's fields;
 * a later option is hashed after everything else, with its name, and only when it is not its
 * default, so layers written before it keep their hash ({@link HistoryChain#layerHash}).
 */
public enum LayerOption {
  EXPERT_KIND(ExpertKind.LORA, 1, "one of LORA, LIVEEDIT"),
  MAX_RANK(64, 1, "an integer in [1, " + Layer.MAX_RANK + "]"),
  VISUAL_SIMILARITY(Similarity.COSINE, 1, "one of COSINE, DOT_PRODUCT, MAX_INNER_PRODUCT"),
  VISUAL_SCALE(1.0, 1, "a finite number above 0"),
  /** Checked against the filter's similarity by {@link Layer.Builder#build()}. */
  VISUAL_THRESHOLD(0.8, 1, "a finite number (in [-1, 1] for bounded similarities)"),
  MAX_CANDIDATES(16, 1, "an integer in [1, " + Layer.MAX_CANDIDATES + "]"),
  TEXT_SIMILARITY(Similarity.COSINE, 1, "one of COSINE, DOT_PRODUCT, MAX_INNER_PRODUCT"),
  TEXT_SCALE(30.0, 1, "a finite number above 0"),
  GATE(GateMode.SOFTMAX, 1, "one of SOFTMAX, LIVEEDIT"),
  TEMPERATURE(1.0, 1, "a finite number above 0"),
  NULL_LOGIT(12.0, 1, "a finite number"),
  MIN_GATE(0.01, 1, "a number in [0, 1)"),
  TOP_K(4, 1, "an integer in [0, " + Layer.MAX_CANDIDATES + "] (0 keeps all)"),
  /**
   * Taken from each candidate's gate logit times how far its visual score is behind the best
   * candidate's (0: gates from the text alone, LiveEdit's routing).
   */
  VISUAL_WEIGHT(0.0, 6, "a finite number >= 0, e.g. 0 (LiveEdit's routing) or 30");

  private final Object defaultValue;
  private final int sinceSchema;
  private final String rule;

  LayerOption(Object defaultValue, int sinceSchema, String rule) {
    this.defaultValue = defaultValue;
    this.sinceSchema = sinceSchema;
    this.rule = rule;
  }

  /** The column of {@code layers} that holds it. */
  public String column() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Its value when {@code CREATE LAYER} leaves it out. */
  Object defaultValue() {
    return defaultValue;
  }

  /** The Java type of its values: Integer, Double or an enum. */
  public Class<?> type() {
    return defaultValue.getClass();
  }

  /** Whether it is hashed as a late option (only when not its default), see the class comment. */
  boolean hashedWhenSet() {
    return sinceSchema > 1;
  }

  /** The enum constant of an enum-typed option, case-insensitive; null when not one. */
  public Object constant(String text) {
    for (Object c : type().getEnumConstants()) {
      if (((Enum<?>) c).name().equalsIgnoreCase(text)) {
        return c;
      }
    }
    return null;
  }

  /**
   * The value, checked: of this option's type and within its rule.
   *
   * @throws StoreException (INVALID_VALUE) naming the option, the rule, the value and a fix
   */
  Object check(Object v) {
    if (v == null || !type().isInstance(v)) {
      throw bad(v);
    }
    boolean ok =
        switch (this) {
          case MAX_RANK -> within((Integer) v, 1, Layer.MAX_RANK);
          case MAX_CANDIDATES -> within((Integer) v, 1, Layer.MAX_CANDIDATES);
          case TOP_K -> within((Integer) v, 0, Layer.MAX_CANDIDATES);
          case VISUAL_SCALE, TEXT_SCALE, TEMPERATURE ->
              (Double) v > 0 && Double.isFinite((Double) v);
          case NULL_LOGIT, VISUAL_THRESHOLD -> Double.isFinite((Double) v);
          case MIN_GATE -> (Double) v >= 0 && (Double) v < 1;
          case VISUAL_WEIGHT -> (Double) v >= 0 && Double.isFinite((Double) v);
          case EXPERT_KIND, VISUAL_SIMILARITY, TEXT_SIMILARITY, GATE -> true;
        };
    if (!ok) {
      throw bad(v);
    }
    return v;
  }

  private static boolean within(int v, int lo, int hi) {
    return v >= lo && v <= hi;
  }

  private StoreException bad(Object v) {
    return new StoreException(
        INVALID_VALUE,
        column()
            + " must be "
            + rule
            + "; "
            + column()
            + "="
            + v
            + ". Give such a value, or leave "
            + name()
            + " out for "
            + defaultValue);
  }

  /** Its value in a row of {@code layers}. */
  Object read(ResultSet rs) throws SQLException {
    if (type() == Integer.class) {
      return rs.getInt(column());
    }
    if (type() == Double.class) {
      return rs.getDouble(column());
    }
    return constant(rs.getString(column()));
  }

  /** The value as its column holds it (an enum by name). */
  Object toColumn(Object v) {
    return v instanceof Enum<?> e ? e.name() : v;
  }
}
