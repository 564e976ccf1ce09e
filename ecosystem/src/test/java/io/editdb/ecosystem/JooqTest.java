package io.editdb.ecosystem;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import org.jooq.Converter;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.Record;
import org.jooq.Record1;
import org.jooq.Result;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.junit.jupiter.api.Test;

/**
 * jOOQ 3.19 with {@link SQLDialect#H2}, as the README documents (jOOQ picks its dialect from the
 * URL, which it does not know): arrays bind, ROUTE runs, and INSERT returns the new id.
 */
class JooqTest {
  /**
   * The README's setup for vectors: jOOQ has no type for {@code float[]}, so it binds one as a REAL
   * ARRAY through this converted type.
   */
  static final DataType<float[]> VECTOR =
      SQLDataType.REAL
          .array()
          .asConvertedDataType(
              Converter.ofNullable(Float[].class, float[].class, JooqTest::unbox, JooqTest::box));

  @Test
  void bindsFloatArraysRoutesAndReturnsTheNewId() throws Exception {
    try (Connection c = Stores.withLayer(Stores.memUrl("jooq"))) {
      DSLContext ctx = DSL.using(c, SQLDialect.H2);
      Record1<Long> inserted =
          ctx.insertInto(
                  table(name("EDITS")),
                  field(name("LAYER"), String.class),
                  field(name("PROMPT"), String.class),
                  field(name("TARGET"), String.class),
                  field(name("VISUAL_KEY"), VECTOR),
                  field(name("TEXT_KEY"), VECTOR),
                  field(name("EXPERT_A"), VECTOR),
                  field(name("EXPERT_B"), VECTOR))
              .values(
                  "small",
                  "is it raining?",
                  "yes",
                  Stores.axis(4, 1),
                  Stores.axis(3, 0),
                  Stores.weights(16, 3),
                  Stores.weights(16, 4))
              .returningResult(field(name("ID"), Long.class))
              .fetchOne();
      long id = inserted.value1();
      assertEquals(Stores.insert(c, "is it snowing?", 2, 1), id + 1, "ids are dense");

      Result<Record> routed =
          ctx.fetch(
              "SELECT edit_id FROM ROUTE(?, ?, ?)",
              "small",
              DSL.val(Stores.axis(4, 1), VECTOR),
              DSL.val(Stores.axis(3, 0), VECTOR));
      assertEquals(1, routed.size());
      assertEquals(id, routed.get(0).get(0, Long.class));
    }
  }

  private static float[] unbox(Float[] f) {
    float[] out = new float[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = f[i];
    }
    return out;
  }

  private static Float[] box(float[] f) {
    Float[] out = new Float[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = f[i];
    }
    return out;
  }
}
