package io.editdb.store;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A condition over the columns of {@code edits}, as a user wrote it: standard SQL with {@code ?}
 * parameters, and their values in order (a value may be null: SQL NULL). The store evaluates it on
 * the user's own restricted connection, never on its own, so it reads no more than the user may
 * SELECT and writes nothing.
 *
 * <pre>{@code
 * session.rollbackEditsWhere(
 *     new EditCondition("author = ? AND prompt LIKE ?", List.of("ana", "batch%")), userSql, "bad batch");
 * }</pre>
 */
public record EditCondition(String sql, List<Object> args) {
  public EditCondition {
    Objects.requireNonNull(sql, "sql");
    args = Collections.unmodifiableList(new ArrayList<>(Objects.requireNonNull(args, "args")));
  }
}
