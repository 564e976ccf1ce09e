package io.editdb.driver;

import io.editdb.store.VectorCodec;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Makes hostile statements for {@link DialectParserFuzzTest}: valid statements of every kind (the
 * corpus), cut into their tokens and mutated (tokens deleted, duplicated, swapped, replaced or
 * inserted from a pool of keywords, quotes, brackets, numbers and odd Unicode; statements cut
 * short, spliced together, sprinkled with random characters), and some plain random text. Also
 * random values to bind to their parameters. Deterministic for a given {@link Random}.
 */
final class StatementMutator {
  /** Valid statements; in the fuzz store edit 1 is active and edit 2 rolled back. */
  static final List<String> CORPUS =
      List.of(
          "CREATE LAYER fz (MODEL 'm', MODULE 'layers.1', D_IN 8, D_OUT 8, VISUAL_DIM 4,"
              + " TEXT_DIM 3, EXPERT_KIND LIVEEDIT, MAX_RANK 4, VISUAL_SIMILARITY COSINE,"
              + " VISUAL_SCALE 0.5, VISUAL_THRESHOLD -0.25, MAX_CANDIDATES 8, TEXT_SIMILARITY DOT,"
              + " TEXT_SCALE 12.5, GATE SOFTMAX, TEMPERATURE 0.7, NULL_LOGIT -2, MIN_GATE 1e-3,"
              + " TOP_K 0)",
          "CREATE LAYER ? (MODEL ?, MODULE ?, D_IN ?, D_OUT ?, VISUAL_DIM ?, TEXT_DIM ?)",
          "CREATE LAYER tx (MODEL 'lm', MODULE 'l', D_IN 8, D_OUT 8, VISUAL_DIM 0, TEXT_DIM 384)",
          "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a, expert_b,"
              + " rank, alpha, author, reason) VALUES ('small', 'What colour?', 'red',"
              + " ARRAY[1, 0, 0, 0], ARRAY[0, 1, 0], "
              + HostileValues.blobs()
              + ", 2, 1.5, 'ana', 'it''s wrong')",
          "INSERT INTO PUBLIC.\"EDITS\" (layer, prompt, target, visual_key, text_key, expert_a,"
              + " expert_b, weight_dtype) VALUES ('small', N'p', $$t$$, ARRAY[0, 0, 1, 0],"
              + " ARRAY[0, 0, 1], ARRAY[0.5, -1, 2e-1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1],"
              + " ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 'BF16')",
          TestDb.INSERT,
          "INSERT INTO edits (layer, prompt, target, image_ref, expert_a, expert_b)"
              + " VALUES (?, ?, ?, ?, ?, ?)",
          "ROLLBACK EDIT 1 REASON 'hallucinated colour'",
          "ROLLBACK EDIT ? REASON ?",
          "RESTORE EDIT 2 REASON 'not a duplicate'",
          "ROLLBACK TO VERSION 2 REASON 'back to before'",
          "ROLLBACK TO VERSION ?",
          "ROLLBACK EDITS WHERE author = 'ana' AND reason LIKE '%REASON ''x''%' REASON 'bulk'",
          "ROLLBACK EDITS WHERE id IN (SELECT edit_id FROM edit_history WHERE actor = ?)"
              + " REASON ?",
          "VERIFY HISTORY",
          // no non-empty passwords: their deliberately slow hash would eat the per-input limit
          "CREATE USER eve ROLE EDITOR",
          "ALTER USER eve SET ROLE AUDITOR",
          "ALTER USER eve PASSWORD ''",
          "DROP USER eve",
          "COMMIT WORK",
          "ROLLBACK",
          "BEGIN TRANSACTION",
          "START TRANSACTION",
          "SET AUTOCOMMIT = FALSE",
          "ROLLBACK TO SAVEPOINT s1",
          "SELECT id, prompt FROM edits WHERE prompt LIKE '%col%' ORDER BY id",
          "SELECT * FROM ROUTE('small', ARRAY[1, 0, 0, 0], ARRAY[1, 0, 0])",
          "SELECT * FROM ROUTE_EXPLAIN('small', ARRAY[0, 1, 0, 0], ARRAY[0, 1, 0], 2, 0.1)",
          "SELECT COUNT(*) FROM EDITS_AT(2)",
          "SELECT EMBED_TEXT('hello')",
          "WITH x AS (SELECT 1 AS a) SELECT * FROM x",
          "CREATE TABLE IF NOT EXISTS APP.notes (id INT, body VARCHAR)",
          "INSERT INTO notes VALUES (1, 'a'), (2, 'b')",
          "UPDATE notes SET body = 'c' WHERE id = 1",
          "DELETE FROM edit_history WHERE seq = 1",
          "UPDATE edits SET prompt = 'x' WHERE id = 1",
          "DROP TABLE versions",
          "TRUNCATE TABLE edit_spans",
          "ALTER TABLE layers ADD COLUMN x INT",
          "SELECT 1; SELECT 2",
          "/* c */ SELECT -- line\n 1");

  /** What mutations insert: pieces of SQL, and of attacks on its lexing. */
  static final List<String> POOL =
      List.of(
          "ROLLBACK",
          "EDIT",
          "EDITS",
          "WHERE",
          "REASON",
          "RESTORE",
          "VERIFY",
          "HISTORY",
          "TO",
          "VERSION",
          "SAVEPOINT",
          "CREATE",
          "LAYER",
          "INSERT",
          "INTO",
          "VALUES",
          "ARRAY",
          "NULL",
          "TRUE",
          "FALSE",
          "SELECT",
          "FROM",
          "DELETE",
          "UPDATE",
          "SET",
          "DROP",
          "TABLE",
          "ALTER",
          "TRUNCATE",
          "MERGE",
          "TRIGGER",
          "ON",
          "SYNONYM",
          "FOR",
          "EXECUTE",
          "IMMEDIATE",
          "RUNSCRIPT",
          "MODE",
          "UESCAPE",
          "COMMIT",
          "BEGIN",
          "START",
          "TRANSACTION",
          "AUTOCOMMIT",
          "SHUTDOWN",
          "WITH",
          "FINAL",
          "PUBLIC",
          "edits",
          "edit_history",
          "versions",
          "layers",
          "edit_spans",
          "D_IN",
          "TOP_K",
          "GATE",
          "LORA",
          "SOFTMAX",
          "WORK",
          "X",
          "N",
          "U",
          "'",
          "\"",
          "`",
          "''",
          "$$",
          "'x'",
          "\"EDITS\"",
          "X'",
          "X'0a'",
          "N'",
          "U&'",
          "U&\"",
          "U&'\\0041'",
          "(",
          ")",
          "[",
          "]",
          "((((",
          "))))",
          ";",
          ",",
          ".",
          "?",
          "?1",
          "-",
          "+",
          "=",
          "*",
          "/",
          "--",
          "/*",
          "*/",
          "//",
          "\n",
          "\t",
          " ",
          "0",
          "1",
          "2",
          "-1",
          "2.5",
          "1e5",
          ".5",
          "1e",
          "99999999999999999999",
          "1e999",
          "-1e39",
          "9223372036854775807",
          "-9223372036854775808",
          "0x1F",
          "NaN",
          "Infinity",
          "\u00A0",
          "\u0000",
          "\uD800",
          "\uDC00",
          "\uD83D\uDE00",
          "\u202E",
          "\u0301",
          "\u0661",
          "\uFF11",
          "\u2003",
          "\uFEFF",
          "\u0001",
          "x".repeat(300),
          "(".repeat(300),
          "'".repeat(7),
          "/*".repeat(5));

  private static final String CHARS =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _$'\"`()[];,.?-+=*/\\\n\t"
          + "\u00A0\u0000\uD800\u00E9";

  private final List<List<String>> pieces = new ArrayList<>();

  StatementMutator() throws SQLException {
    for (String s : CORPUS) {
      pieces.add(cut(s));
    }
  }

  /** The statement cut at its token starts: each piece a token and the space after it. */
  static List<String> cut(String sql) throws SQLException {
    List<SqlLexer.Token> tokens = SqlLexer.lex(sql);
    List<String> out = new ArrayList<>();
    int from = 0;
    for (int k = 1; k <= tokens.size(); k++) {
      int to = k == tokens.size() ? sql.length() : tokens.get(k).start();
      out.add(sql.substring(from, to));
      from = to;
    }
    return out;
  }

  /** A statement: mostly a mutated corpus statement, sometimes random text or an unmutated one. */
  String next(Random r) {
    int kind = r.nextInt(20);
    if (kind == 0) {
      return CORPUS.get(r.nextInt(CORPUS.size()));
    }
    if (kind == 1) {
      StringBuilder b = new StringBuilder();
      for (int n = r.nextInt(120); n > 0; n--) {
        b.append(CHARS.charAt(r.nextInt(CHARS.length())));
      }
      return b.toString();
    }
    List<String> p = new ArrayList<>(pieces.get(r.nextInt(pieces.size())));
    for (int m = 1 + r.nextInt(4); m > 0; m--) {
      mutate(p, r);
    }
    String s = String.join("", p);
    if (r.nextInt(8) == 0 && !s.isEmpty()) {
      int at = r.nextInt(s.length() + 1);
      s = s.substring(0, at) + CHARS.charAt(r.nextInt(CHARS.length())) + s.substring(at);
    }
    if (r.nextInt(10) == 0 && !s.isEmpty()) {
      s = s.substring(0, r.nextInt(s.length())); // cut anywhere, even inside a token
    }
    return s;
  }

  private void mutate(List<String> p, Random r) {
    int at = p.isEmpty() ? 0 : r.nextInt(p.size());
    switch (r.nextInt(7)) {
      case 0 -> {
        if (!p.isEmpty()) {
          p.remove(at);
        }
      }
      case 1 -> {
        if (!p.isEmpty()) {
          p.add(at, p.get(at));
        }
      }
      case 2 -> {
        if (p.size() > 1) {
          int other = r.nextInt(p.size());
          String t = p.get(at);
          p.set(at, p.get(other));
          p.set(other, t);
        }
      }
      case 3 -> p.add(Math.min(at, p.size()), pool(r));
      case 4 -> {
        if (!p.isEmpty()) {
          p.set(at, pool(r));
        }
      }
      case 5 -> {
        List<String> donor = pieces.get(r.nextInt(pieces.size()));
        p.add(Math.min(at, p.size()), donor.get(r.nextInt(donor.size())));
      }
      default -> {
        if (!p.isEmpty()) {
          p.subList(r.nextInt(p.size()), p.size()).clear(); // truncate at a token
        }
      }
    }
  }

  private static String pool(Random r) {
    String s = POOL.get(r.nextInt(POOL.size()));
    return r.nextBoolean() ? s + " " : s;
  }

  /** A value to bind to a parameter, right or wrong; {@link HostileCase#UNSET} to leave it. */
  static Object value(Random r) {
    return switch (r.nextInt(26)) {
      case 0 -> null;
      case 1 -> HostileCase.UNSET;
      case 2 -> "small";
      case 3 -> "nope";
      case 4 -> 1L;
      case 5 -> -1L;
      case 6 -> Long.MAX_VALUE;
      case 7 -> 2;
      case 8 -> 2.5;
      case 9 -> Double.NaN;
      case 10 -> Float.POSITIVE_INFINITY;
      case 11 -> "two";
      case 12 -> "";
      case 13 -> TestDb.basis(4, r.nextInt(4));
      case 14 -> TestDb.basis(3, r.nextInt(3));
      case 15 -> TestDb.random(16, r.nextLong());
      case 16 -> TestDb.random(1 + r.nextInt(40), r.nextLong());
      case 17 -> new float[] {Float.MIN_VALUE, 0, 0, 0};
      case 18 -> new int[] {1, 0, 0, 0};
      case 19 -> new byte[] {1, 2, 3};
      case 20 -> VectorCodec.encode(TestDb.random(16, r.nextLong()));
      case 21 -> Boolean.TRUE;
      case 22 -> List.of(1f, "x", 0f);
      case 23 -> new Float[] {null, 1f};
      case 24 -> "\u0000\uD800";
      default -> "x".repeat(r.nextInt(3000));
    };
  }
}
