package io.editdb.store;

import static io.editdb.store.StoreException.Kind.DUPLICATE_LAYER;
import static io.editdb.store.StoreException.Kind.UNKNOWN_LAYER;
import static io.editdb.store.StoreException.Kind.WRONG_STATE;

import io.editdb.store.Transaction.Action;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One client's view of the store: an H2 connection for its SQL and, from its first write until
 * {@link #commit()} or {@link #rollback()}, the store's single writer slot. Every write of one
 * transaction becomes one version at commit, or nothing at rollback. A refused write changes
 * nothing, not even the rest of the open transaction. Not thread-safe: one per JDBC connection.
 *
 * <pre>{@code
 * try (StoreSession s = store.openSession("ana")) {
 *   long id = s.insert(edit);
 *   s.rollbackEdit(otherId, "wrong answer");
 *   long version = s.commit();
 * }
 * }</pre>
 */
public final class StoreSession implements AutoCloseable {
  private final EditStore store;
  private final Connection sql;
  private final String actor;
  // The open write transaction; null when none is open.
  private Transaction tx;

  StoreSession(EditStore store, Connection sql, String actor) {
    this.store = store;
    this.sql = sql;
    this.actor = Users.actorName(actor);
  }

  /**
   * The store's own H2 connection this session writes through: it has every right, so it is for
   * trusted in-process code only; users' SQL runs on {@link EditStore#connectAs}.
   */
  public Connection sql() {
    return sql;
  }

  public String actor() {
    return actor;
  }

  public EditStore store() {
    return store;
  }

  /** True between the first write and commit or rollback. */
  public boolean inWriteTransaction() {
    return tx != null;
  }

  /** The version the open write transaction will get (0 if none is open). */
  long pendingVersion() {
    return tx == null ? 0 : tx.version();
  }

  /** A layer visible to this session (created earlier in its open transaction, or committed). */
  public Layer layer(String name) {
    return tx == null ? store.layer(name) : tx.newLayer(name).orElseGet(() -> store.layer(name));
  }

  // ---- reads through this session's connection ----
  // A session holds a pooled connection for its life, so when open sessions hold the whole pool
  // a read that borrowed another would wait for a connection nobody gives back.

  /**
   * Ids of the edits active at the version, of one layer or (layer null) of all, ascending, as
   * {@link EditStore#activeEditIds}; an open write transaction's own changes are not at any past
   * version, so they do not show.
   */
  public List<Long> activeEditIds(String layer, long version) {
    store.checkVersion(version);
    if (layer != null) {
      layer(layer);
    }
    try {
      return Rows.activeIds(sql, layer, version);
    } catch (SQLException e) {
      throw store.sqlFailure("reading the edits active at version " + version, e);
    }
  }

  /** Checks the hash chain and every row's content hash, as {@link EditStore#verifyHistory}. */
  public HistoryCheck verifyHistory() {
    try {
      return store.verifyHistory(sql, inWriteTransaction());
    } catch (SQLException e) {
      throw store.sqlFailure("verifying the history", e);
    }
  }

  // ---- writes ----

  public Layer createLayer(Layer spec) {
    return write(
        () -> {
          if (store.findLayer(spec.name()).isPresent() || tx.newLayer(spec.name()).isPresent()) {
            throw new StoreException(
                DUPLICATE_LAYER,
                "layer "
                    + spec.name()
                    + " exists already;"
                    + " layer names are unique. Choose another name");
          }
          Layer l = tx.identify(spec);
          List<String> columns =
              new ArrayList<>(
                  List.of(
                      "id",
                      "name",
                      "model",
                      "module",
                      "d_in",
                      "d_out",
                      "visual_dim",
                      "text_dim",
                      "created_version",
                      "host",
                      "maker"));
          List<Object> values =
              new ArrayList<>(
                  List.of(
                      l.id(),
                      l.name(),
                      l.model(),
                      l.module(),
                      l.dIn(),
                      l.dOut(),
                      l.visualDim(),
                      l.textDim(),
                      l.createdVersion()));
          values.add(l.host()); // List.of takes no nulls
          values.add(l.maker());
          for (LayerOption o : LayerOption.values()) {
            columns.add(o.column());
            values.add(o.toColumn(l.option(o)));
          }
          try (PreparedStatement ps =
              sql.prepareStatement(
                  "INSERT INTO layers ("
                      + String.join(", ", columns)
                      + ") VALUES ("
                      + "?, ".repeat(columns.size() - 1)
                      + "?)")) {
            for (int i = 0; i < values.size(); i++) {
              ps.setObject(i + 1, values.get(i));
            }
            ps.executeUpdate();
          }
          tx.layerCreated(l);
          return l;
        });
  }

  /** Inserts an edit; returns its id. Validates everything before writing anything. */
  public long insert(NewEdit e) {
    Layer layer = layerOrNull(e.layer());
    EditValidator.check(layer, e);
    return write(
        () -> {
          long id = tx.newEditId();
          long version = tx.version();
          String author = e.author() == null || e.author().isBlank() ? actor : e.author();
          byte[] visual = e.visualKey() == null ? null : VectorCodec.encode(e.visualKey());
          byte[] text = VectorCodec.encode(e.textKey());
          String dtype = VectorCodec.dtype(e.expertA()).name();
          int[] mask = e.tokenMask() == null ? null : TokenMasks.check(e.tokenMask());
          try (PreparedStatement ps =
              sql.prepareStatement(
                  "INSERT INTO edits (id, layer, prompt,"
                      + " target, image_ref, visual_key, text_key, expert_a, expert_b, weight_dtype, rank,"
                      + " alpha, author, reason, status, created_version, created_at, token_mask,"
                      + " query_region) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,'ACTIVE',?,?,?,?)")) {
            ps.setLong(1, id);
            ps.setString(2, layer.name());
            ps.setString(3, e.prompt());
            ps.setString(4, e.target());
            ps.setString(5, e.imageRef());
            ps.setBytes(6, visual);
            ps.setBytes(7, text);
            ps.setBytes(8, e.expertA());
            ps.setBytes(9, e.expertB());
            ps.setString(10, dtype);
            ps.setInt(11, e.rank());
            ps.setFloat(12, e.alpha());
            ps.setString(13, author);
            ps.setString(14, e.reason());
            ps.setLong(15, version);
            ps.setObject(16, tx.at());
            ps.setObject(
                17,
                mask == null
                    ? null
                    : ps.getConnection()
                        .createArrayOf("INTEGER", java.util.Arrays.stream(mask).boxed().toArray()));
            ps.setString(18, e.queryRegion());
            ps.executeUpdate();
          }
          openSpan(id, false);
          String content =
              HistoryChain.editHash(
                  id,
                  layer.name(),
                  e.prompt(),
                  e.target(),
                  e.imageRef(),
                  visual,
                  text,
                  e.expertA(),
                  e.expertB(),
                  dtype,
                  e.rank(),
                  e.alpha(),
                  author,
                  e.reason(),
                  version,
                  tx.at(),
                  mask,
                  e.queryRegion());
          tx.recorded(Action.INSERT, id, layer.name(), e.reason(), content);
          return id;
        });
  }

  /** Rolls back one active edit; returns 1. */
  public int rollbackEdit(long id, String reason) {
    return rollbackEdits(List.of(id), reason);
  }

  /** Rolls back every listed edit (all must be active); returns how many changed. */
  public int rollbackEdits(Collection<Long> ids, String reason) {
    EditValidator.reason(reason);
    Set<Long> unique = new LinkedHashSet<>(ids);
    if (unique.isEmpty()) {
      return 0; // nothing to change: no transaction, no version
    }
    return write(
        () -> {
          for (long id : unique) {
            if (!state(id)) {
              throw new StoreException(
                  WRONG_STATE,
                  "edit "
                      + id
                      + " is already rolled back; only an"
                      + " active edit can be rolled back. Use RESTORE EDIT "
                      + id
                      + " to reactivate it");
            }
            retire(id, reason);
          }
          return unique.size();
        });
  }

  /**
   * Rolls back the active edits that match {@code condition}, evaluated on {@code asUser}: the
   * user's own restricted connection ({@link EditStore#connectAs}), never the store's, so the
   * condition reads only what the user may SELECT. It is matched once, and if it matches anything,
   * matched again once this transaction holds the writer slot, so that no other writer changes the
   * edits between the choice and the rollback (a statement that names no edit must not fail because
   * another transaction rolled back one it matched). Returns how many were rolled back; nothing
   * matched makes no transaction.
   *
   * @throws SQLException the condition's own failure, as H2 raised it on {@code asUser} (a syntax
   *     error, a right the user lacks); the open transaction is left as it was
   * @throws StackOverflowError the condition is nested too deeply for H2's parser; likewise
   */
  public int rollbackEditsWhere(EditCondition condition, Connection asUser, String reason)
      throws SQLException {
    // A newline around the condition so that a trailing -- comment in it cannot swallow the rest.
    String query =
        "SELECT id FROM EDITDB.edits WHERE (\n"
            + condition.sql()
            + "\n) AND status = 'ACTIVE' ORDER BY id";
    if (matching(asUser, query, condition.args()).isEmpty()) {
      return 0; // nothing matched: no transaction, no version
    }
    EditValidator.reason(reason);
    try {
      return write(
          () -> {
            List<Long> ids;
            try {
              ids = matching(asUser, query, condition.args());
            } catch (SQLException | StackOverflowError e) {
              throw new ConditionFailed(e);
            }
            int n = 0;
            for (long id : new LinkedHashSet<>(ids)) {
              if (state(id)) {
                retire(id, reason);
                n++;
              }
            }
            return n;
          });
    } catch (ConditionFailed e) {
      if (e.getCause() instanceof SQLException se) {
        throw se;
      }
      throw (StackOverflowError) e.getCause();
    }
  }

  /** The ids the condition's query matches on the user's connection. */
  private static List<Long> matching(Connection asUser, String query, List<Object> args)
      throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (PreparedStatement ps = asUser.prepareStatement(query)) {
      for (int k = 0; k < args.size(); k++) {
        ps.setObject(k + 1, args.get(k));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
    }
    return ids;
  }

  /** Carries the condition's own failure out of a write, past the store's translation. */
  private static final class ConditionFailed extends RuntimeException {
    ConditionFailed(Throwable cause) {
      super(cause);
    }
  }

  /** Restores one rolled-back edit; returns 1. */
  public int restoreEdit(long id, String reason) {
    EditValidator.reason(reason);
    return write(
        () -> {
          if (state(id)) {
            throw new StoreException(
                WRONG_STATE,
                "edit "
                    + id
                    + " is active; only a rolled-back edit"
                    + " can be restored. Use ROLLBACK EDIT "
                    + id
                    + " to retire it");
          }
          restore(id, reason);
          return 1;
        });
  }

  /**
   * Makes the active set that of version {@code target}: retires what was added or restored after
   * it, restores what was retired after it. Returns how many edits changed state.
   */
  public int rollbackToVersion(long target, String reason) {
    store.checkVersion(target);
    EditValidator.reason(reason);
    return write(
        () -> {
          Set<Long> wanted = new LinkedHashSet<>(Rows.activeIds(sql, null, target));
          Set<Long> current = new LinkedHashSet<>(activeNow());
          String why = reason == null ? "rollback to version " + target : reason;
          int changed = 0;
          for (long id : current) {
            if (!wanted.contains(id)) {
              retire(id, why);
              changed++;
            }
          }
          for (long id : wanted) {
            if (!current.contains(id)) {
              restore(id, why);
              changed++;
            }
          }
          return changed;
        });
  }

  private List<Long> activeNow() throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (PreparedStatement ps =
            sql.prepareStatement("SELECT id FROM edits WHERE status = 'ACTIVE' ORDER BY id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }

  /** True if active; refuses an unknown id. */
  private boolean state(long id) throws SQLException {
    try (PreparedStatement ps = sql.prepareStatement("SELECT status FROM edits WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw EditStore.unknownEdit(id);
        }
        return "ACTIVE".equals(rs.getString(1));
      }
    }
  }

  private String layerOf(long id) throws SQLException {
    try (PreparedStatement ps = sql.prepareStatement("SELECT layer FROM edits WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private void retire(long id, String reason) throws SQLException {
    tx.exec(
        "UPDATE edits SET status = 'ROLLED_BACK', retired_version = ?, retired_at = ?"
            + " WHERE id = ?",
        tx.version(),
        tx.at(),
        id);
    tx.exec(
        "UPDATE edit_spans SET to_version = ? WHERE edit_id = ? AND to_version IS NULL",
        tx.version(),
        id);
    tx.recorded(Action.ROLLBACK, id, layerOf(id), reason, HistoryChain.idHash(id));
  }

  private void restore(long id, String reason) throws SQLException {
    tx.exec(
        "UPDATE edits SET status = 'ACTIVE', retired_version = NULL, retired_at = NULL"
            + " WHERE id = ?",
        id);
    openSpan(id, true);
    tx.recorded(Action.RESTORE, id, layerOf(id), reason, HistoryChain.idHash(id));
  }

  /**
   * Opens a span at this version. On a restore a span retired in this same version reopens instead
   * ({@code mayReopen}: an update, then an insert if there was none, rather than a MERGE, which H2
   * and PostgreSQL spell differently).
   */
  private void openSpan(long id, boolean mayReopen) throws SQLException {
    int reopened =
        mayReopen
            ? tx.exec(
                "UPDATE edit_spans SET to_version = NULL WHERE edit_id = ? AND from_version = ?",
                id,
                tx.version())
            : 0;
    if (reopened == 0) {
      tx.exec(
          "INSERT INTO edit_spans (edit_id, from_version, to_version) VALUES (?, ?, NULL)",
          id,
          tx.version());
    }
  }

  private Layer layerOrNull(String name) {
    if (name == null) {
      throw new StoreException(
          UNKNOWN_LAYER,
          "an edit needs a layer; layer=null. Name the layer" + " the edit attaches to");
    }
    return layer(name);
  }

  // ---- transaction mechanics ----

  private interface Work<T> {
    T run() throws SQLException;
  }

  /**
   * Runs one write inside the transaction (opening it, and taking the writer slot, if needed). If
   * the write fails, the transaction undoes exactly it, so a refused statement changes nothing
   * while the rest of the transaction stays.
   */
  private <T> T write(Work<T> work) {
    boolean opened = tx == null;
    if (opened) {
      tx = store.begin(sql, actor);
    }
    Transaction.Mark before = null;
    try {
      before = tx.mark();
      return work.run();
    } catch (SQLException | RuntimeException e) {
      try {
        if (opened) {
          tx.abandon();
        } else if (before != null) {
          tx.undo(before);
        }
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      } finally {
        if (opened) {
          tx = null;
        }
      }
      if (e instanceof SQLException se) {
        throw store.sqlFailure("writing", se);
      }
      throw (RuntimeException) e;
    }
  }

  /**
   * Commits the open write transaction as one new version and makes it routable before returning;
   * returns that version, or 0 if nothing was written (then it only commits the connection's own
   * SQL work).
   */
  public long commit() {
    if (tx == null) {
      try {
        if (!sql.getAutoCommit()) {
          sql.commit();
        }
      } catch (SQLException e) {
        throw store.sqlFailure("commit", e);
      }
      return 0;
    }
    Transaction t = tx;
    tx = null;
    return t.commit();
  }

  /** Discards the open transaction: nothing of it is versioned, stored or routed. */
  public void rollback() {
    Transaction t = tx;
    tx = null;
    if (t != null) {
      t.rollback();
      return;
    }
    try {
      sql.rollback();
    } catch (SQLException e) {
      throw store.sqlFailure("rollback", e);
    }
  }

  /** Rolls back an open transaction and returns the connection to the pool. */
  @Override
  public void close() {
    try {
      if (tx != null) {
        rollback();
      }
    } finally {
      try {
        sql.close();
      } catch (SQLException ignored) {
        // closing a pooled connection only fails if the pool is gone
      }
    }
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT, "StoreSession{actor=%s, pendingVersion=%d}", actor, pendingVersion());
  }
}
