package io.editdb.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the derived key index in step with H2: opens and checks it, rebuilds it from H2 when it is
 * unreadable or disagrees with H2, and applies each committed version. Its writes run under the
 * store's writer slot; {@link #current()} serves readers at any time.
 */
final class IndexKeeper {
  private static final Logger LOG = LoggerFactory.getLogger(IndexKeeper.class);

  private final StoreConfig config;
  private final IntFunction<Layer> layers;
  private volatile KeyIndex index;

  IndexKeeper(StoreConfig config, IntFunction<Layer> layers) {
    this.config = config;
    this.layers = layers;
  }

  /** The index readers search now (a rebuild replaces it). */
  KeyIndex current() {
    return index;
  }

  /**
   * Opens the index and catches it up to {@code latestVersion}; rebuilds it from H2 if it is
   * corrupt, ahead of H2 or holds another number of spans than H2 has.
   */
  void open(Connection c, long latestVersion) throws SQLException {
    KeyIndex idx = null;
    String problem = null;
    try {
      idx = new KeyIndex(newDirectory(), config);
      idx.checkIntegrity(); // a corrupt segment throws here and is rebuilt below
      if (idx.watermark() > latestVersion) {
        problem =
            "index is ahead of the store (version " + idx.watermark() + " > " + latestVersion + ")";
      } else {
        idx.catchUp(c, latestVersion, layers, true);
        long expected = spansUpTo(c, latestVersion);
        if (idx.search().spanCount() != expected) {
          problem =
              "index holds " + idx.search().spanCount() + " spans but the store has " + expected;
        }
      }
    } catch (IOException | RuntimeException e) {
      problem = "index unreadable: " + e;
    }
    if (problem != null) {
      LOG.warn("{} - {}; rebuilding the index from H2", config.location(), problem);
      if (idx != null) {
        idx.abandon();
      }
      idx = rebuilt(c, latestVersion);
    }
    index = idx;
  }

  /** Drops the index and rebuilds it from H2 up to {@code upTo} (the caller holds the writer). */
  void rebuild(Connection c, long upTo) throws SQLException {
    index.abandon();
    index = rebuilt(c, upTo);
  }

  /**
   * Applies a version committed in H2 (read through {@code c}, the committing session's own
   * connection: when open sessions hold every pooled connection, waiting for another one would
   * stall the commit and every writer behind it). An index that cannot apply it is rebuilt; if that
   * fails too, the version is still durable in H2 and a reopen retries.
   */
  void apply(Connection c, long version) {
    try {
      index.catchUp(c, version, layers, false);
      index.maybeCommit(config.indexCommitEveryVersions(), false);
    } catch (SQLException e) {
      if (config.shared()) {
        // The truth is out of reach (a restart, a network fault), not the index at fault: it
        // stays as it was, and applying again later is safe (spans are replaced by their key).
        throw new StoreException(
            StoreException.Kind.UNAVAILABLE,
            config.location()
                + " - reading version "
                + version
                + " to apply it to the index failed: "
                + e.getMessage()
                + "; the node catches up once PostgreSQL answers again",
            e);
      }
      rebuildAfter(c, version, e);
    } catch (IOException | RuntimeException e) {
      rebuildAfter(c, version, e);
    }
  }

  /**
   * Applies a durable version and then announces it as the latest: the one way a version becomes
   * routable, after a local commit and when following other nodes. On H2 it is announced even if
   * the index fails (H2 has it, and the next transaction must get the version after it). On a
   * shared truth out of reach it is not: nothing is announced and the node's follower applies it
   * once PostgreSQL answers again; returns false then.
   */
  boolean publish(Connection c, long version, VersionClock clock) {
    boolean announce = true;
    try {
      apply(c, version);
      return true;
    } catch (StoreException e) { // only a shared truth out of reach (apply); H2 rebuilds instead
      announce = false;
      clock.commitFailed();
      LOG.warn(
          "{} - version {} is committed, not yet routable here: {}",
          config.location(),
          version,
          e.getMessage());
      return false;
    } finally {
      if (announce) {
        clock.announce(version);
      }
    }
  }

  private void rebuildAfter(Connection c, long version, Exception e) {
    LOG.error(
        "{} - version {} is committed but the index could not apply it ({}); rebuilding",
        config.location(),
        version,
        e.toString());
    try {
      rebuild(c, version);
    } catch (SQLException | RuntimeException e2) {
      throw new IllegalStateException(
          "version "
              + version
              + " is durable but the index"
              + " could not be rebuilt; reopen the store to retry",
          e2);
    }
  }

  private Path indexPath() {
    return config.directory().resolve("index");
  }

  private Directory newDirectory() throws IOException {
    return config.inMemory() ? new ByteBuffersDirectory() : FSDirectory.open(indexPath());
  }

  private KeyIndex rebuilt(Connection c, long upTo) throws SQLException {
    try {
      if (!config.inMemory() && Files.exists(indexPath())) {
        try (Stream<Path> files = Files.walk(indexPath())) {
          for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
      KeyIndex idx = new KeyIndex(newDirectory(), config);
      idx.clear();
      idx.catchUp(c, upTo, layers, true);
      idx.maybeCommit(1, true);
      return idx;
    } catch (IOException e) {
      throw new UncheckedIOException("rebuilding the index of " + config.location(), e);
    }
  }

  private static long spansUpTo(Connection c, long version) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT COUNT(*) FROM edit_spans WHERE from_version <= ?")) {
      ps.setLong(1, version);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Commits the index with its watermark and closes it. */
  void close() {
    try {
      if (index != null) {
        index.close();
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("{} - closing the index failed: {}", config.location(), e.toString());
    }
  }
}
