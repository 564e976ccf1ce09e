package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.driver.SqlLexer.Token;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lexer on its own: kinds, values and offsets of every token kind, comments skipped, and H2's
 * spellings (doubled quotes, $$ strings, X'..' bytes, N'..', U&amp; forms, nested block comments),
 * which must split exactly where H2 splits for the relation guard to see every name.
 */
class SqlLexerTest {

  private static String kinds(String sql) throws SQLException {
    StringBuilder sb = new StringBuilder();
    for (Token t : SqlLexer.lex(sql)) {
      sb.append(sb.isEmpty() ? "" : " ").append(t.kind()).append(':').append(t.text());
    }
    return sb.toString();
  }

  @Test
  void everyTokenKindWithItsValueAndOffset() throws SQLException {
    List<Token> t = SqlLexer.lex("SELECT \"Edits\", 'it''s', X'0aFF', 4.5e3, ?, ?12 FROM t;");
    assertEquals(
        "WORD:SELECT QUOTED_NAME:Edits SYMBOL:, STRING:it's SYMBOL:, BYTES:0aFF SYMBOL:,"
            + " NUMBER:4.5e3 SYMBOL:, PARAM:? SYMBOL:, PARAM:?12 WORD:FROM WORD:t SYMBOL:;",
        kinds("SELECT \"Edits\", 'it''s', X'0aFF', 4.5e3, ?, ?12 FROM t;"));
    assertEquals(0, t.get(0).start());
    assertEquals(7, t.get(1).start());
    assertEquals(16, t.get(3).start());
    assertTrue(t.get(0).is("select"));
    assertEquals("EDITS", SqlLexer.lex("edits").get(0).name(), "words fold to upper case");
    assertEquals("Edits", t.get(1).name(), "quoted names keep their case");
  }

  @Test
  void commentsAreSkippedAndH2sOtherSpellingsAreRead() throws SQLException {
    assertEquals(
        "WORD:a WORD:b WORD:c WORD:d",
        kinds("a -- one\nb /* two /* nested */ still */ c // three\r\nd"));
    assertEquals("STRING:x'y STRING:n WORD:e", kinds("$$x'y$$ N'n' e"));
    assertEquals("QUOTED_NAME:q`", kinds("`q```"));
    assertEquals("SYMBOL:. NUMBER:.5", kinds(". .5"));
  }

  @Test
  void unclosedQuotesAndCommentsAreSyntaxErrorsWithTheirPosition() {
    for (String bad : List.of("SELECT 'open", "SELECT \"open", "SELECT $$open", "a /* open")) {
      SQLException e = assertThrows(SQLException.class, () -> SqlLexer.lex(bad), bad);
      assertEquals("42601", e.getSQLState(), bad + ": " + e.getMessage());
      assertTrue(e.getMessage().contains("[*]"), "marks where: " + e.getMessage());
    }
  }
}
