package io.editdb.driver;

import io.editdb.query.Router;
import io.editdb.query.SqlRouting;
import io.editdb.store.EditStore;
import io.editdb.store.StoreConfig;
import io.editdb.store.StoreException;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stores this JVM's connections use, one open {@link EditStore} per location with a count of
 * the connections on it. Sharing matters: a store's directory can be open once (H2 locks it; the
 * Lucene index has one writer), and every connection must see the others' commits at once. A store
 * closes with its last connection, which releases the directory for other processes and ends an
 * in-memory store.
 */
final class StoreRegistry {
  static final StoreRegistry INSTANCE = new StoreRegistry();
  private static final Logger LOG = LoggerFactory.getLogger(StoreRegistry.class);

  /** An open store and what is shared with it. */
  record Handle(String key, EditStore store, Router router, SqlRouting functions) {}

  private static final class Entry {
    final Handle handle;
    int connections;

    Entry(Handle handle) {
      this.handle = handle;
    }
  }

  private final Map<String, Entry> open = new HashMap<>();

  private StoreRegistry() {}

  /**
   * The store at the config's location, opened if no connection has it open; the first connection's
   * configuration (pool size) is the one used.
   */
  synchronized Handle acquire(StoreConfig config) throws SQLException {
    String key = config.location();
    Entry e = open.get(key);
    if (e == null || e.handle.store().isClosed()) {
      EditStore store;
      try {
        store = EditStore.open(config);
      } catch (StoreException ex) {
        throw Errors.of(ex);
      } catch (RuntimeException ex) {
        throw ErrorCode.STORE_UNAVAILABLE.exception("cannot open store " + key + ": " + ex, ex);
      }
      try {
        Router router = new Router(store);
        SqlRouting functions = SqlRouting.attach(store, router);
        e = new Entry(new Handle(key, store, router, functions));
      } catch (RuntimeException ex) {
        store.close();
        throw Errors.of(ex);
      }
      open.put(key, e);
      LOG.debug("{} - opened for the driver", key);
    }
    e.connections++;
    return e.handle;
  }

  /** One connection less; the last one closes the store. */
  synchronized void release(Handle handle) {
    Entry e = open.get(handle.key());
    if (e == null || e.handle != handle) {
      return;
    }
    if (--e.connections == 0) {
      open.remove(handle.key());
      handle.functions().close();
      handle.store().close();
      LOG.debug("{} - closed with its last connection", handle.key());
    }
  }

  /** Connections open on the location (for tests and diagnostics). */
  synchronized int connections(String key) {
    Entry e = open.get(key);
    return e == null ? 0 : e.connections;
  }
}
