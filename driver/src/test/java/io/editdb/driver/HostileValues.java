package io.editdb.driver;

import static io.editdb.driver.ErrorCode.ENCODER_DIMENSION;
import static io.editdb.driver.ErrorCode.INVALID_VALUE;
import static io.editdb.driver.ErrorCode.MISSING_PARAMETER;
import static io.editdb.driver.ErrorCode.NO_HOST;
import static io.editdb.driver.ErrorCode.WRONG_TYPE;
import static io.editdb.driver.HostileCase.UNSET;
import static io.editdb.driver.HostileCase.custom;
import static io.editdb.driver.HostileCase.insert;
import static io.editdb.driver.HostileCase.prepared;
import static io.editdb.driver.HostileCase.sql;

import io.editdb.store.NewEdit;
import io.editdb.store.VectorCodec;
import io.editdb.store.WeightDtype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Bad values of an edit: keys, weights, ranks, texts, and the wrong type or number of parameters.
 * Most start from TestDb's valid edit of the small layer and break one value.
 */
final class HostileValues {
  private HostileValues() {}

  static Stream<HostileCase> cases() {
    return Stream.of(keys(), weights(), texts(), types(), parameters()).flatMap(List::stream);
  }

  /**
   * Every column, 13 parameters: layer, prompt, target, visual_key, text_key, expert_a, expert_b,
   * rank, alpha, author, reason, image_ref, weight_dtype.
   */
  static final String INSERT_ALL =
      "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a, expert_b, rank,"
          + " alpha, author, reason, image_ref, weight_dtype) VALUES"
          + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /** INSERT_ALL with a valid edit of the small layer bound, then parameter i replaced. */
  static HostileCase all(String name, ErrorCode code, int i, Object value) {
    return all(name, code, new int[] {i}, new Object[] {value});
  }

  static HostileCase all(String name, ErrorCode code, int[] params, Object[] values) {
    return custom(
        name,
        code,
        (c, f) -> {
          try (PreparedStatement ps = c.prepareStatement(INSERT_ALL)) {
            Object[] v = valid(name);
            for (int k = 0; k < params.length; k++) {
              v[params[k] - 1] = values[k];
            }
            for (int k = 0; k < v.length; k++) {
              ps.setObject(k + 1, v[k]);
            }
            ps.executeUpdate();
          }
        });
  }

  static Object[] valid(String prompt) {
    return new Object[] {
      "small",
      prompt,
      "target",
      TestDb.basis(4, 1),
      TestDb.basis(3, 1),
      TestDb.random(16, 1),
      TestDb.random(16, 2),
      2,
      1.5,
      "ana",
      "why",
      "img.png",
      "F32"
    };
  }

  private static float[] floats(int n, float value) {
    float[] v = new float[n];
    Arrays.fill(v, value);
    return v;
  }

  static List<HostileCase> keys() {
    float nan = Float.NaN;
    float inf = Float.POSITIVE_INFINITY;
    return List.of(
        insert("visual_key of 3 floats", INVALID_VALUE, 4, new float[] {1, 0, 0}),
        insert("visual_key of 5 floats", INVALID_VALUE, 4, new float[] {1, 0, 0, 0, 0}),
        insert("visual_key of 4097 floats", INVALID_VALUE, 4, floats(4097, 1)),
        insert("visual_key empty", INVALID_VALUE, 4, new float[0]),
        insert("visual_key NULL", INVALID_VALUE, 4, null),
        insert("visual_key NaN", INVALID_VALUE, 4, new float[] {nan, 0, 0, 1}),
        insert("visual_key +Infinity", INVALID_VALUE, 4, new float[] {inf, 0, 0, 1}),
        insert("visual_key -Infinity", INVALID_VALUE, 4, new float[] {0, -inf, 0, 1}),
        insert("visual_key zero", INVALID_VALUE, 4, new float[] {0, 0, 0, 0}),
        insert("visual_key negative zero", INVALID_VALUE, 4, new float[] {-0f, -0f, -0f, -0f}),
        insert("visual_key subnormal", INVALID_VALUE, 4, new float[] {Float.MIN_VALUE, 0, 0, 0}),
        insert("visual_key 1e-30", INVALID_VALUE, 4, new float[] {1e-30f, 1e-30f, 0, 0}),
        insert("visual_key 3e38 twice", INVALID_VALUE, 4, new float[] {3e38f, 3e38f, 0, 0}),
        insert("visual_key double 1e300", INVALID_VALUE, 4, new double[] {1e300, 0, 0, 0}),
        insert("visual_key Double NaN", INVALID_VALUE, 4, new Double[] {Double.NaN, 0d, 0d, 1d}),
        insert("visual_key with a null", INVALID_VALUE, 4, new Float[] {1f, null, 0f, 0f}),
        insert(
            "visual_key truncated blob",
            INVALID_VALUE,
            4,
            truncated(VectorCodec.encode(TestDb.basis(4, 0)))),
        insert("text_key of 2 floats", INVALID_VALUE, 5, new float[] {1, 0}),
        insert("text_key of 384 floats", INVALID_VALUE, 5, floats(384, 1)),
        insert("text_key NULL", INVALID_VALUE, 5, null),
        insert("text_key NaN", INVALID_VALUE, 5, new float[] {nan, 1, 0}),
        insert("text_key zero", INVALID_VALUE, 5, new float[] {0, 0, 0}),
        insert("text_key subnormal", INVALID_VALUE, 5, new float[] {0, Float.MIN_VALUE, 0}),
        insert(
            "visual_key of length 2 on a DOT layer",
            INVALID_VALUE,
            new int[] {1, 4},
            new Object[] {"dotl", new float[] {2, 0, 0, 0}}),
        insert(
            "text_key of length 0.5 on a DOT layer",
            INVALID_VALUE,
            new int[] {1, 5},
            new Object[] {"dotl", new float[] {0.5f, 0, 0}}),
        insert("visual_key on a text-only layer", INVALID_VALUE, 1, "texty"),
        sql(
            "ROUTE with a zero key",
            INVALID_VALUE,
            "SELECT * FROM ROUTE('small', ARRAY[0, 0, 0, 0], ARRAY[1, 0, 0])"),
        sql(
            "ROUTE with a key of 3",
            INVALID_VALUE,
            "SELECT * FROM ROUTE('small', ARRAY[1, 0, 0], ARRAY[1, 0, 0])"),
        sql(
            "ROUTE with a NaN threshold",
            INVALID_VALUE,
            "SELECT * FROM ROUTE('small', ARRAY[1, 0, 0, 0], ARRAY[1, 0, 0], NULL,"
                + " CAST('NaN' AS DOUBLE))"));
  }

  /** The blob with its last value cut off. */
  private static byte[] truncated(byte[] blob) {
    return Arrays.copyOf(blob, blob.length - 2);
  }

  /** A VectorCodec header saying {@code n} values of dtype code {@code dtype}, and no values. */
  private static byte[] header(int dtype, int n) {
    return ByteBuffer.allocate(12)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putInt(0x31564445)
        .putInt(dtype)
        .putInt(n)
        .array();
  }

  static List<HostileCase> weights() {
    return List.of(
        insert("expert_a of 15 floats", INVALID_VALUE, 6, TestDb.random(15, 1)),
        insert("expert_b of 17 floats", INVALID_VALUE, 7, TestDb.random(17, 1)),
        insert("expert_a empty", INVALID_VALUE, 6, new float[0]),
        insert("expert_a NULL", INVALID_VALUE, 6, null),
        insert("expert_b NULL", INVALID_VALUE, 7, null),
        insert("expert_a NaN", INVALID_VALUE, 6, floats(16, Float.NaN)),
        insert("expert_b Infinity", INVALID_VALUE, 7, floats(16, Float.NEGATIVE_INFINITY)),
        insert("expert_a blob of unknown dtype", INVALID_VALUE, 6, header(9, 0)),
        insert(
            "expert_a blob longer than it says", INVALID_VALUE, 6, Arrays.copyOf(header(0, 1), 20)),
        insert("expert_a blob of -8 values", INVALID_VALUE, 6, header(0, -8)),
        insert(
            "expert_a blob truncated",
            INVALID_VALUE,
            6,
            truncated(VectorCodec.encode(TestDb.random(16, 1)))),
        insert(
            "expert_a F32 and expert_b BF16",
            INVALID_VALUE,
            7,
            VectorCodec.encode(TestDb.random(16, 2), WeightDtype.BF16)),
        insert("rank 0", INVALID_VALUE, 8, 0),
        insert("rank -1", INVALID_VALUE, 8, -1),
        insert(
            "rank 5, above MAX_RANK 4",
            INVALID_VALUE,
            new int[] {6, 7, 8},
            new Object[] {TestDb.random(40, 1), TestDb.random(40, 2), 5}),
        insert("rank Long.MAX_VALUE", INVALID_VALUE, 8, Long.MAX_VALUE),
        insert("rank 2.5", INVALID_VALUE, 8, 2.5),
        insert("rank 'two'", INVALID_VALUE, 8, "two"),
        insert("rank 3, shapes of rank 2", INVALID_VALUE, 8, 3),
        insert(
            "rank NULL, expert_a not a multiple of d_in",
            INVALID_VALUE,
            new int[] {6, 8},
            new Object[] {TestDb.random(12, 1), null}),
        all("alpha NaN", INVALID_VALUE, 9, Double.NaN),
        all("alpha Infinity", INVALID_VALUE, 9, Float.POSITIVE_INFINITY),
        all("alpha 1e39, infinite as a float", INVALID_VALUE, 9, 1e39),
        all("alpha 'abc'", INVALID_VALUE, 9, "abc"),
        all("weight_dtype F64", INVALID_VALUE, 13, "F64"),
        all("weight_dtype empty", INVALID_VALUE, 13, ""),
        all(
            "F16 weights that overflow F16",
            INVALID_VALUE,
            new int[] {6, 13},
            new Object[] {floats(16, 1e5f), "F16"}),
        all("raw F32 bytes, 15 of them", INVALID_VALUE, 6, new byte[15]),
        all(
            "F16 blob but weight_dtype F32",
            INVALID_VALUE,
            6,
            VectorCodec.encode(TestDb.random(16, 1), WeightDtype.F16)));
  }

  static List<HostileCase> texts() {
    String over = "x".repeat(NewEdit.MAX_TEXT + 1);
    return List.of(
        insert("prompt NULL", INVALID_VALUE, 2, null),
        insert("target NULL", INVALID_VALUE, 3, null),
        insert("prompt of MAX_TEXT + 1", INVALID_VALUE, 2, over),
        insert("target of 3 MB", INVALID_VALUE, 3, "y".repeat(3 << 20)),
        all("reason of MAX_TEXT + 1", INVALID_VALUE, 11, over),
        all("author of 257", INVALID_VALUE, 10, "a".repeat(257)),
        all("image_ref of 4097", INVALID_VALUE, 12, "i".repeat(4097)),
        all("author with a lone surrogate", INVALID_VALUE, 10, "ana\uD800"),
        all("image_ref with a lone surrogate", INVALID_VALUE, 12, "img\uDFFF.png"),
        insert("prompt with a lone high surrogate", INVALID_VALUE, 2, "smile \uD83D"),
        insert("prompt with a lone low surrogate", INVALID_VALUE, 2, "\uDE00 smile"),
        insert("target with a reversed pair", INVALID_VALUE, 3, "\uDE00\uD83D"),
        all("reason with a lone surrogate", INVALID_VALUE, 11, "\uDBFF"),
        sql(
            "prompt literal with a lone surrogate",
            INVALID_VALUE,
            "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a, expert_b)"
                + " VALUES ('small', 'a\uD800b', 't', ARRAY[1,0,0,0], ARRAY[1,0,0], "
                + blobs()
                + ")"),
        sql(
            "ROLLBACK EDIT with a reason of MAX_TEXT + 1",
            INVALID_VALUE,
            f -> "ROLLBACK EDIT " + f.active() + " REASON '" + over + "'"),
        custom(
            "RESTORE EDIT with a lone surrogate reason",
            INVALID_VALUE,
            (c, f) -> {
              try (PreparedStatement ps = c.prepareStatement("RESTORE EDIT ? REASON ?")) {
                ps.setLong(1, f.rolledBack());
                ps.setString(2, "a\uDC00");
                ps.execute();
              }
            }),
        custom(
            "ROLLBACK TO VERSION with a lone surrogate reason",
            INVALID_VALUE,
            (c, f) -> {
              try (PreparedStatement ps = c.prepareStatement("ROLLBACK TO VERSION 1 REASON ?")) {
                ps.setString(1, "\uD800");
                ps.execute();
              }
            }),
        custom(
            "ROLLBACK EDITS WHERE with a 2 MB reason",
            INVALID_VALUE,
            (c, f) -> {
              try (PreparedStatement ps =
                  c.prepareStatement("ROLLBACK EDITS WHERE id = ? REASON ?")) {
                ps.setLong(1, f.active());
                ps.setString(2, "r".repeat(2 << 20));
                ps.execute();
              }
            }));
  }

  /** expert_a and expert_b of the small layer's rank 2 as X'..' literals. */
  static String blobs() {
    java.util.HexFormat hex = java.util.HexFormat.of();
    return "X'"
        + hex.formatHex(VectorCodec.encode(TestDb.random(16, 1)))
        + "', X'"
        + hex.formatHex(VectorCodec.encode(TestDb.random(16, 2)))
        + "'";
  }

  static List<HostileCase> types() {
    return List.of(
        insert("visual_key as a string", WRONG_TYPE, 4, "1,0,0,0"),
        insert("visual_key as int[]", WRONG_TYPE, 4, new int[] {1, 0, 0, 0}),
        insert("text_key as long[]", WRONG_TYPE, 5, new long[] {1, 0, 0}),
        insert("visual_key as a Boolean", WRONG_TYPE, 4, true),
        insert("visual_key as a Map", WRONG_TYPE, 4, Map.of("x", 1)),
        insert("visual_key as bytes that are no vector", WRONG_TYPE, 4, new byte[] {1, 2, 3, 4}),
        insert("expert_a as a string", WRONG_TYPE, 6, "0.1, 0.2"),
        insert("expert_a as raw bytes without weight_dtype", WRONG_TYPE, 6, new byte[64]),
        insert("prompt as float[]", WRONG_TYPE, 2, new float[] {1}),
        insert("prompt as a Long", WRONG_TYPE, 2, 5L),
        insert("target as bytes", WRONG_TYPE, 3, new byte[] {65}),
        insert("layer as an Integer", WRONG_TYPE, 1, 7),
        insert("rank as a Boolean", WRONG_TYPE, 8, true),
        insert("rank as float[]", WRONG_TYPE, 8, new float[] {2}),
        all("alpha as a Boolean", WRONG_TYPE, 9, false),
        all("author as int[]", WRONG_TYPE, 10, new int[] {1}),
        all("weight_dtype as a Long", WRONG_TYPE, 13, 16L),
        sql("REASON 5", WRONG_TYPE, f -> "ROLLBACK EDIT " + f.active() + " REASON 5"),
        sql("REASON X'00'", WRONG_TYPE, f -> "ROLLBACK EDIT " + f.active() + " REASON X'00'"),
        sql(
            "REASON ARRAY[1]",
            WRONG_TYPE,
            f -> "RESTORE EDIT " + f.rolledBack() + " REASON ARRAY[1]"),
        sql("REASON TRUE", WRONG_TYPE, f -> "ROLLBACK TO VERSION 1 REASON TRUE"),
        prepared("ROLLBACK EDIT ? as a Boolean", WRONG_TYPE, "ROLLBACK EDIT ?", true),
        prepared("ROLLBACK EDIT ? as float[]", WRONG_TYPE, "ROLLBACK EDIT ?", new float[] {1}),
        prepared("ROLLBACK EDIT ? as 'abc'", INVALID_VALUE, "ROLLBACK EDIT ?", "abc"),
        prepared("ROLLBACK EDIT ? as 1.5", INVALID_VALUE, "ROLLBACK EDIT ?", 1.5),
        prepared("ROLLBACK EDIT ? as NaN", INVALID_VALUE, "ROLLBACK EDIT ?", Double.NaN),
        prepared("ROLLBACK EDIT ? as NULL", INVALID_VALUE, "ROLLBACK EDIT ?", (Object) null),
        prepared(
            "ROLLBACK TO VERSION ? as NULL", INVALID_VALUE, "ROLLBACK TO VERSION ?", (Object) null),
        prepared("RESTORE EDIT ? as 1e30", INVALID_VALUE, "RESTORE EDIT ?", 1e30));
  }

  static List<HostileCase> parameters() {
    return List.of(
        custom(
            "INSERT with parameter 3 unset",
            MISSING_PARAMETER,
            (c, f) -> {
              try (PreparedStatement ps = c.prepareStatement(TestDb.INSERT)) {
                TestDb.bindSmall(ps, "p", 1, 1);
                ps.clearParameters();
                ps.setString(1, "small");
                ps.executeUpdate();
              }
            }),
        prepared("ROLLBACK EDIT ? unset", MISSING_PARAMETER, "ROLLBACK EDIT ?"),
        prepared("REASON ? unset", MISSING_PARAMETER, "ROLLBACK EDIT ? REASON ?", 1L, UNSET),
        custom(
            "a batch row with a parameter unset",
            MISSING_PARAMETER,
            (c, f) -> {
              try (PreparedStatement ps = c.prepareStatement("RESTORE EDIT ? REASON ?")) {
                ps.setLong(1, f.rolledBack());
                ps.setString(2, "ok");
                ps.addBatch();
                ps.clearParameters();
                ps.setLong(1, f.rolledBack());
                ps.addBatch();
                ps.executeBatch();
              }
            }),
        sql("? in a plain Statement", MISSING_PARAMETER, "ROLLBACK EDIT ?"),
        sql(
            "REASON ? in a plain Statement",
            MISSING_PARAMETER,
            f -> "ROLLBACK EDIT " + f.active() + " REASON ?"),
        sql(
            "CREATE LAYER ? in a plain Statement",
            MISSING_PARAMETER,
            "CREATE LAYER ? (MODEL 'm',"
                + " MODULE 'x', D_IN 1, D_OUT 1, VISUAL_DIM 0, TEXT_DIM 3)"),
        custom(
            "too many: parameter 9 of 8",
            INVALID_VALUE,
            (c, f) -> {
              try (PreparedStatement ps = c.prepareStatement(TestDb.INSERT)) {
                ps.setObject(9, 1);
              }
            }),
        custom(
            "parameter 0",
            INVALID_VALUE,
            (c, f) -> {
              try (PreparedStatement ps = c.prepareStatement("ROLLBACK EDIT ?")) {
                ps.setLong(0, 1);
              }
            }),
        custom(
            "a parameter on a statement with none",
            INVALID_VALUE,
            (c, f) -> {
              try (PreparedStatement ps = c.prepareStatement("VERIFY HISTORY")) {
                ps.setString(1, "x");
              }
            }),
        custom(
            "text_key left out, layer TEXT_DIM 3",
            ENCODER_DIMENSION,
            (c, f) -> {
              try (Statement st = c.createStatement()) {
                st.execute(
                    "INSERT INTO edits (layer, prompt, target, visual_key, expert_a, expert_b)"
                        + " VALUES ('small', 'p', 't', ARRAY[1, 0, 0, 0], "
                        + blobs()
                        + ")");
              }
            }),
        custom(
            "text_key left out, DOT layer TEXT_DIM 3",
            ENCODER_DIMENSION,
            (c, f) -> {
              try (Statement st = c.createStatement()) {
                st.execute(
                    "INSERT INTO edits (layer, prompt, target, visual_key, expert_a, expert_b)"
                        + " VALUES ('dotl', 'p', 't', ARRAY[1, 0, 0, 0], "
                        + blobs()
                        + ")");
              }
            }),
        sql(
            "an image on a layer bound to no host",
            NO_HOST,
            "INSERT INTO edits (layer, prompt, target, image) VALUES ('small', 'p', 't',"
                + " X'89504E470D0A1A0A')"),
        sql(
            "ASK on a layer bound to no host",
            NO_HOST,
            "SELECT * FROM ASK('small', X'89504E470D0A1A0A', 'what is this')"),
        sql(
            "a host no binding serves",
            NO_HOST,
            "CREATE LAYER hostless (HOST 'no-such-host', MODULE 'blocks.1')"));
  }
}
