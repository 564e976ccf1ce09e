package io.editdb.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One write transaction, from a session's first EditDB write to its commit or rollback. It holds
 * the store's writer slot throughout, owns the counters its writes advance (edit and layer ids, the
 * end of the history chain) and the tallies of its version, and commits in one protocol: the H2
 * commit makes the version durable, then the index applies it, then it is announced as the latest.
 * Its counters reach the store only once its version is durable, so a transaction that fails or
 * rolls back leaves the next one exactly where it found the store. Not thread-safe: it belongs to
 * one session.
 */
final class Transaction {

  /** What a transaction records in the history chain. */
  enum Action {
    CREATE_LAYER,
    INSERT,
    ROLLBACK,
    RESTORE
  }

  /**
   * A truth other processes write too (PostgreSQL): a transaction takes its writers' lock and
   * starts from where the truth stands, not from this process's memory. Null on H2.
   */
  interface SharedTruth {
    /** Takes the writers' lock on {@code sql} and reads the counters and the latest version. */
    Start lockAndRead(Connection sql) throws SQLException;

    /** Inside the transaction, just before its commit: tell the other nodes of {@code version}. */
    void committing(Connection sql, long version) throws SQLException;

    /** Releases the writers' lock (after the commit, or when the transaction ends otherwise). */
    void unlock(Connection sql);
  }

  /** Where a transaction starts: the counters and the newest committed version. */
  record Start(WriterSlot.Counters counters, long latest) {}

  private final Connection sql;
  private final String actor;
  private final SharedTruth shared;
  private boolean sharedLocked;
  private final WriterSlot slot;
  private final VersionClock clock;
  private final IndexKeeper index;
  private final Consumer<Layer> publishLayer;
  private final String location;
  private long version;
  private OffsetDateTime at;
  // Taken before the transaction's first EditDB write, so a transaction given up undoes only
  // EditDB's part and keeps the caller's earlier plain SQL of the same connection.
  private Savepoint beforeWrites;
  private Boolean callerAutoCommit;
  private boolean ended;
  private long nextEditId;
  private int nextLayerId;
  private long lastSeq;
  private String lastHash;
  private int added;
  private int retired;
  private int restored;
  private final List<Layer> newLayers = new ArrayList<>();

  private Transaction(
      Connection sql,
      String actor,
      WriterSlot slot,
      VersionClock clock,
      IndexKeeper index,
      Consumer<Layer> publishLayer,
      String location,
      SharedTruth shared) {
    this.sql = sql;
    this.shared = shared;
    this.actor = actor;
    this.slot = slot;
    this.clock = clock;
    this.index = index;
    this.publishLayer = publishLayer;
    this.location = location;
  }

  /**
   * Takes the writer slot (waiting at most the write lock timeout), and on a shared truth its
   * writers' lock too, and opens the transaction on {@code sql}: its version is the latest plus
   * one. On failure nothing is held.
   */
  static Transaction begin(
      Connection sql,
      String actor,
      WriterSlot slot,
      VersionClock clock,
      IndexKeeper index,
      Consumer<Layer> publishLayer,
      String location,
      SharedTruth shared) {
    slot.acquire();
    Transaction t = new Transaction(sql, actor, slot, clock, index, publishLayer, location, shared);
    try {
      t.callerAutoCommit = sql.getAutoCommit();
      sql.setAutoCommit(false);
      t.beforeWrites = sql.setSavepoint();
      if (shared == null) {
        t.continueFrom(slot.counters());
        t.version = clock.latest() + 1;
      } else {
        t.sharedLocked = true; // set first: a lock taken by a failing read is released by end()
        Start start = shared.lockAndRead(sql);
        t.continueFrom(start.counters());
        t.version = start.latest() + 1;
      }
      t.at = EditStore.now();
      t.exec(
          "INSERT INTO versions (version, committed_at, actor, edits_added, edits_retired,"
              + " edits_restored, layers_created) VALUES (?, ?, ?, 0, 0, 0, 0)",
          t.version,
          t.at,
          actor);
      return t;
    } catch (SQLException | RuntimeException e) {
      try {
        sql.rollback();
      } catch (SQLException ignored) {
        // the original failure is what matters
      }
      t.end();
      throw e instanceof SQLException se
          ? EditStore.sqlFailure(location, "starting a transaction", se)
          : (RuntimeException) e;
    }
  }

  /** The version this transaction commits as. */
  long version() {
    return version;
  }

  /** When it began: the time of its rows. */
  OffsetDateTime at() {
    return at;
  }

  /** Gives out the next edit id. */
  long newEditId() {
    return nextEditId++;
  }

  /** The layer {@code spec} with the next layer id and this version. */
  Layer identify(Layer spec) {
    return spec.withIdentity(nextLayerId++, version);
  }

  /** A layer this transaction created, by name (any case). */
  Optional<Layer> newLayer(String name) {
    return newLayers.stream().filter(l -> l.name().equalsIgnoreCase(name)).findFirst();
  }

  /** Records a layer whose row was written: history, and published at commit. */
  void layerCreated(Layer l) throws SQLException {
    history(null, l.name(), Action.CREATE_LAYER, null, HistoryChain.layerHash(l));
    newLayers.add(l);
  }

  /** Records a change of an edit whose rows were written: history and this version's tally. */
  void recorded(Action action, long editId, String layer, String reason, String content)
      throws SQLException {
    history(editId, layer, action, reason, content);
    switch (action) {
      case INSERT -> added++;
      case ROLLBACK -> retired++;
      case RESTORE -> restored++;
      case CREATE_LAYER -> throw new IllegalArgumentException("use layerCreated for a layer");
    }
  }

  private void history(Long editId, String layer, Action action, String reason, String content)
      throws SQLException {
    long seq = lastSeq + 1;
    String hash =
        HistoryChain.rowHash(
            HistoryChain.FORMAT,
            lastHash,
            seq,
            version,
            editId,
            layer,
            action.name(),
            actor,
            at,
            reason,
            content);
    exec(
        "INSERT INTO edit_history (seq, version, edit_id, layer, action, actor, at, reason,"
            + " content_hash, prev_hash, hash, hash_format) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        seq,
        version,
        editId,
        layer,
        action.name(),
        actor,
        at,
        reason,
        content,
        lastHash,
        hash,
        HistoryChain.FORMAT);
    lastSeq = seq;
    lastHash = hash;
  }

  /** Runs one write of this transaction; returns the rows it changed. */
  int exec(String sqlText, Object... args) throws SQLException {
    try (PreparedStatement ps = sql.prepareStatement(sqlText)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      return ps.executeUpdate();
    }
  }

  // ---- one write at a time ----

  /**
   * The counters, tallies and H2 state at one moment: {@link #undo} puts them back, so a refused
   * write changes nothing while the rest of the transaction stays.
   */
  record Mark(
      WriterSlot.Counters counters,
      int added,
      int retired,
      int restored,
      int newLayers,
      Savepoint savepoint) {}

  /** Marks the moment before a write. */
  Mark mark() throws SQLException {
    return new Mark(counters(), added, retired, restored, newLayers.size(), sql.setSavepoint());
  }

  /** Undoes every write after the mark. */
  void undo(Mark m) throws SQLException {
    try {
      sql.rollback(m.savepoint());
    } finally {
      reset(m);
    }
  }

  private WriterSlot.Counters counters() {
    return new WriterSlot.Counters(nextEditId, nextLayerId, lastSeq, lastHash);
  }

  private void continueFrom(WriterSlot.Counters c) {
    nextEditId = c.nextEditId();
    nextLayerId = c.nextLayerId();
    lastSeq = c.lastSeq();
    lastHash = c.lastHash();
  }

  private void reset(Mark m) {
    continueFrom(m.counters());
    added = m.added();
    retired = m.retired();
    restored = m.restored();
    newLayers.subList(m.newLayers(), newLayers.size()).clear();
  }

  // ---- the end: commit, rollback, or given up ----

  /**
   * Commits this transaction as one new version and makes it routable before returning; returns
   * that version, or 0 if its writes changed nothing (then only the connection's own SQL work is
   * committed). Ends the transaction either way.
   */
  long commit() {
    if (added + retired + restored + newLayers.size() == 0) {
      // Writes that changed nothing (e.g. rollback to the current active set) make no version.
      try {
        sql.rollback(beforeWrites);
        sql.commit();
      } catch (SQLException e) {
        throw EditStore.sqlFailure(location, "commit", e);
      } finally {
        end();
      }
      return 0;
    }
    try {
      at = EditStore.now();
      exec(
          "UPDATE versions SET committed_at = ?, edits_added = ?, edits_retired = ?,"
              + " edits_restored = ?, layers_created = ? WHERE version = ?",
          at,
          added,
          retired,
          restored,
          newLayers.size(),
          version);
      if (shared != null) {
        shared.committing(sql, version);
      }
      clock.committing(version);
      sql.commit();
      unlockShared(); // durable: other nodes' writers may go on while this one publishes
    } catch (SQLException e) {
      clock.commitFailed();
      try {
        sql.rollback();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      } finally {
        end();
      }
      throw EditStore.sqlFailure(location, "commit of version " + version, e);
    }
    slot.advance(counters()); // durable: the next transaction continues from here
    try {
      publish();
    } finally {
      end();
    }
    return version;
  }

  /**
   * The version is durable: the layers it created become visible, the index applies it, and only
   * then is it the latest ({@link IndexKeeper#publish}, which says what happens when the index
   * cannot apply it).
   */
  private void publish() {
    for (Layer l : newLayers) {
      publishLayer.accept(l);
    }
    index.publish(sql, version, clock);
  }

  /** Discards this transaction and the connection's whole open SQL transaction with it. */
  void rollback() {
    try {
      sql.rollback();
    } catch (SQLException e) {
      throw EditStore.sqlFailure(location, "rollback", e);
    } finally {
      end();
    }
  }

  /**
   * Gives up this transaction after its first write failed: undoes its writes but keeps the
   * caller's earlier plain SQL on the connection.
   */
  void abandon() throws SQLException {
    try {
      sql.rollback(beforeWrites);
    } finally {
      end();
    }
  }

  private void unlockShared() {
    if (sharedLocked) {
      sharedLocked = false;
      shared.unlock(sql);
    }
  }

  private void end() {
    if (ended) {
      return;
    }
    ended = true;
    unlockShared();
    try {
      if (callerAutoCommit != null) {
        sql.setAutoCommit(callerAutoCommit);
      }
    } catch (SQLException ignored) {
      // the connection is unusable; the pool will discard it
    } finally {
      slot.release();
    }
  }
}
