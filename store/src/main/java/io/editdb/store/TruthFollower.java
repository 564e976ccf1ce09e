package io.editdb.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's follower of a shared truth: one daemon thread on its own PostgreSQL connection that
 * LISTENs for the versions other nodes commit and catches this node up ({@code catchUp}: layers,
 * users, the index, then the announcement). It also catches up every {@link #POLL_MILLIS} without a
 * notification, since a notification sent while this node was disconnected is never delivered; a
 * lost connection (PostgreSQL restarted) is opened again, after which it catches up at once.
 */
final class TruthFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TruthFollower.class);

  /** The longest wait for a notification before catching up anyway. */
  static final int POLL_MILLIS = 250;

  /** What the follower runs on each notification or poll, on its own connection. */
  interface CatchUp {
    void run(Connection c) throws SQLException;
  }

  private final StoreConfig config;
  private final CatchUp catchUp;
  private final Thread thread;

  /** Counted down once, by {@link #close}. */
  private final java.util.concurrent.CountDownLatch stop =
      new java.util.concurrent.CountDownLatch(1);

  private volatile Connection connection;

  TruthFollower(StoreConfig config, CatchUp catchUp) {
    this.config = config;
    this.catchUp = catchUp;
    this.thread = new Thread(this::run, "editdb-follower");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    long backoff = 100;
    while (!closed()) {
      try {
        if (connection == null) {
          connection = listen();
          backoff = 100;
          catchUp.run(connection); // whatever was committed while not listening
        }
        PGConnection pg = connection.unwrap(PGConnection.class);
        pg.getNotifications(POLL_MILLIS); // waits for one, or the poll interval
        if (!closed()) {
          catchUp.run(connection);
        }
      } catch (SQLException | RuntimeException e) {
        if (closed()) {
          break;
        }
        LOG.warn(
            "{} - following other nodes' commits failed ({}); retrying in {} ms",
            config.location(),
            e.toString(),
            backoff);
        closeConnection();
        try {
          if (stop.await(backoff, TimeUnit.MILLISECONDS)) {
            break;
          }
        } catch (InterruptedException ie) {
          break;
        }
        backoff = Math.min(5_000, backoff * 2);
      }
    }
    closeConnection();
  }

  private boolean closed() {
    return stop.getCount() == 0;
  }

  private Connection listen() throws SQLException {
    Connection c =
        DriverManager.getConnection(
            config.postgres().url(), PgTruth.ownerProperties(config.postgres(), "editdb-follower"));
    try (Statement st = c.createStatement()) {
      st.execute("LISTEN " + PgTruth.CHANNEL);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  private void closeConnection() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // gone already
      }
    }
  }

  /**
   * Stops the thread and waits for it: a catch-up under way finishes first, and a wait for a
   * notification ends within {@link #POLL_MILLIS}. The thread is never interrupted: an interrupt
   * inside the index's file writes would close their channels under Lucene.
   */
  @Override
  public void close() {
    stop.countDown();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
