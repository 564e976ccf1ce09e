package io.editdb.store;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the truth says changed in the spans between two versions: the SQL over {@code edit_spans},
 * {@code edits} and {@code layers} that {@link KeyIndex} catches up from. A span opened in (from,
 * upTo] comes with its edit's keys; a span opened earlier and closed in (from, upTo] comes with its
 * closing version. Long reads report progress to the SLF4J logger {@code io.editdb.store.progress}
 * at INFO (the command line shows it; library users configure it).
 */
final class SpanChanges {
  /** Progress of long index rebuilds. */
  static final Logger PROGRESS = LoggerFactory.getLogger("io.editdb.store.progress");

  /** Reads below this many spans report no progress. */
  private static final long PROGRESS_FROM = 5_000;

  /** A span opened in the range: its edit, versions ({@code to}: MAX_VALUE if open at upTo). */
  interface Opened {
    void accept(long editId, long from, long to, int layerId, float[] visual, float[] text)
        throws IOException;
  }

  /** A span opened before the range and closed in it. */
  interface Closed {
    void accept(long editId, long from, long to) throws IOException;
  }

  private SpanChanges() {}

  /**
   * Reads the changes in (from, upTo], opened spans first in version order.
   *
   * @param what names the work in progress messages (e.g. "rebuilding index /x")
   * @return the number of opened spans
   */
  static int read(Connection c, long from, long upTo, Opened opened, Closed closed, String what)
      throws SQLException, IOException {
    if (!c.getAutoCommit()) {
      return readInTransaction(c, from, upTo, opened, closed, what);
    }
    // PostgreSQL streams rows by the fetch size only inside a transaction; outside one it reads
    // the whole result (every key of a rebuild) into memory first.
    c.setAutoCommit(false);
    try {
      return readInTransaction(c, from, upTo, opened, closed, what);
    } finally {
      try {
        c.rollback(); // it only read
      } finally {
        c.setAutoCommit(true);
      }
    }
  }

  private static int readInTransaction(
      Connection c, long from, long upTo, Opened opened, Closed closed, String what)
      throws SQLException, IOException {
    int added = 0;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT s.edit_id, s.from_version, s.to_version, l.id, e.visual_key, e.text_key"
                + " FROM edit_spans s JOIN edits e ON e.id = s.edit_id"
                + " JOIN layers l ON l.name = e.layer"
                + " WHERE s.from_version > ? AND s.from_version <= ? ORDER BY s.from_version")) {
      ps.setLong(1, from);
      ps.setLong(2, upTo);
      ps.setFetchSize(1000);
      long total = what == null ? 0 : total(c, from, upTo);
      int shown = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long toV = rs.getLong(3);
          long to = rs.wasNull() || toV > upTo ? Long.MAX_VALUE : toV;
          byte[] visual = rs.getBytes(5);
          opened.accept(
              rs.getLong(1),
              rs.getLong(2),
              to,
              rs.getInt(4),
              visual == null ? null : VectorCodec.decode(visual),
              VectorCodec.decode(rs.getBytes(6)));
          added++;
          if (total >= PROGRESS_FROM && 10 * added / total > shown) {
            shown = (int) (10 * added / total);
            PROGRESS.info("{}: {}% ({} of {} spans)", what, 10 * shown, added, total);
          }
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT edit_id, from_version, to_version FROM edit_spans"
                + " WHERE from_version <= ? AND to_version > ? AND to_version <= ?")) {
      ps.setLong(1, from);
      ps.setLong(2, from);
      ps.setLong(3, upTo);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          closed.accept(rs.getLong(1), rs.getLong(2), rs.getLong(3));
        }
      }
    }
    return added;
  }

  private static long total(Connection c, long from, long upTo) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT COUNT(*) FROM edit_spans WHERE from_version > ? AND from_version <= ?")) {
      ps.setLong(1, from);
      ps.setLong(2, upTo);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
