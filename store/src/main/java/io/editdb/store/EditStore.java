package io.editdb.store;

import static io.editdb.store.StoreException.Kind.INVALID_VALUE;
import static io.editdb.store.StoreException.Kind.UNAVAILABLE;
import static io.editdb.store.StoreException.Kind.UNKNOWN_EDIT;
import static io.editdb.store.StoreException.Kind.UNKNOWN_LAYER;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store of model edits: H2 is the truth (layers, edits, keys, weights, versions, history); Lucene
 * is a derived HNSW index of the keys, caught up from H2 on open and after every commit.
 *
 * <pre>{@code
 * try (EditStore store = EditStore.open(StoreConfig.directory(Path.of("edits")))) {
 *   store.createLayer(Layer.builder("l21", "llava-1.5-7b", "model.layers.21", 4096, 4096, 512, 384)
 *       .build(), "ana");
 *   try (StoreSession s = store.openSession("ana")) {
 *     long id = s.insert(newEdit);
 *     long version = s.commit(); // routable when this returns
 *   }
 * }
 * }</pre>
 *
 * Thread-safe. Many threads read while one transaction writes; writers take the single writer slot
 * in turn, so versions are dense and in commit order.
 */
public final class EditStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EditStore.class);

  private final StoreConfig config;
  private final HikariDataSource pool;
  private final Map<String, Layer> layersByName = new ConcurrentHashMap<>();
  private final Map<Integer, Layer> layersById = new ConcurrentHashMap<>();
  private final VersionClock clock;
  private final IndexKeeper index;
  private final WriterSlot slot;
  private volatile boolean closed;
  private Users users;
  private RoleLogins roles;
  private TruthFollower follower;

  private EditStore(StoreConfig config, HikariDataSource pool) {
    this.config = config;
    this.pool = pool;
    this.clock = new VersionClock(config.writeLockTimeout());
    this.slot = new WriterSlot(config.writeLockTimeout(), null); // counters: loadState
    this.index = new IndexKeeper(config, layersById::get);
  }

  /** Opens the store, creating it if missing, migrating its schema and catching up its index. */
  public static EditStore open(StoreConfig config) {
    StoreCreation.prepare(config);
    HikariConfig hc = new HikariConfig();
    if (config.shared()) {
      hc.setJdbcUrl(config.postgres().url());
      hc.setDataSourceProperties(PgTruth.ownerProperties(config.postgres(), "editdb-node"));
    } else {
      hc.setJdbcUrl(config.h2Url());
      hc.setUsername("sa");
      hc.setPassword("");
    }
    hc.setMaximumPoolSize(config.poolSize());
    hc.setMinimumIdle(1);
    hc.setPoolName("editdb-" + config.location().replaceAll("[^A-Za-z0-9_.-]", "_"));
    hc.setInitializationFailTimeout(-1);
    HikariDataSource pool = new HikariDataSource(hc);
    EditStore store = new EditStore(config, pool);
    boolean success = false;
    try {
      store.migrate();
      store.loadState();
      try {
        store.roles =
            config.shared()
                ? new PgRoles(pool, config.postgres())
                : new H2Roles(pool, config.h2UserUrl());
      } catch (SQLException e) {
        throw store.sqlFailure("setting up the role users", e);
      }
      store.users = new Users(pool, config.location(), config.shared());
      store.openIndex();
      if (config.shared()) {
        store.follower = new TruthFollower(config, store::followTruth);
      }
      success = true;
      LOG.info("{} - opened at version {}", config.location(), store.latestVersion());
      return store;
    } finally {
      if (!success) {
        store.closeQuietly();
      }
    }
  }

  private void migrate() {
    StoreCreation.migrate(pool, config);
  }

  private void loadState() {
    try (Connection c = pool.getConnection()) {
      Transaction.Start start = readTruth(c);
      clock.announce(start.latest());
      slot.advance(start.counters());
    } catch (SQLException e) {
      throw sqlFailure("loading store state", e);
    }
  }

  /**
   * Where the truth stands: the newest version and what the next writer continues from; layers not
   * yet known here (another node made them) are published on the way.
   */
  private Transaction.Start readTruth(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      long latest = single(st, "SELECT COALESCE(MAX(version), 0) FROM versions");
      long nextEditId = single(st, "SELECT COALESCE(MAX(id), 0) FROM edits") + 1;
      int nextLayerId = (int) single(st, "SELECT COALESCE(MAX(id), 0) FROM layers") + 1;
      WriterSlot.Counters counters;
      try (ResultSet rs =
          st.executeQuery("SELECT seq, hash FROM edit_history ORDER BY seq DESC LIMIT 1")) {
        long lastSeq = rs.next() ? rs.getLong(1) : 0;
        String lastHash = lastSeq == 0 ? HistoryChain.GENESIS : rs.getString(2);
        counters = new WriterSlot.Counters(nextEditId, nextLayerId, lastSeq, lastHash);
      }
      if (layersById.size() < nextLayerId - 1) {
        try (PreparedStatement ps =
            c.prepareStatement("SELECT * FROM layers WHERE id > ? ORDER BY id")) {
          ps.setInt(1, layersById.keySet().stream().mapToInt(Integer::intValue).max().orElse(0));
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              publishLayer(Rows.layer(rs));
            }
          }
        }
      }
      return new Transaction.Start(counters, latest);
    }
  }

  /**
   * The writers' side of a shared truth: the lock across nodes, where the truth stands under it,
   * and the notification of a commit.
   */
  private final Transaction.SharedTruth sharedWriters =
      new Transaction.SharedTruth() {
        @Override
        public Transaction.Start lockAndRead(Connection sql) throws SQLException {
          PgTruth.lockWriters(sql, config.writeLockTimeout(), config.location());
          return readTruth(sql);
        }

        @Override
        public void committing(Connection sql, long version) throws SQLException {
          PgTruth.announce(sql, version);
        }

        @Override
        public void unlock(Connection sql) {
          try {
            PgTruth.unlockWriters(sql);
          } catch (SQLException e) {
            // A broken connection: PostgreSQL drops its locks with it, and the pool discards it.
            LOG.debug("{} - releasing the writers' lock: {}", config.location(), e.toString());
          }
        }
      };

  /**
   * Catches this node up with versions other nodes committed (the follower calls it on every
   * notification and poll): layers first, then the index, and only then is the version announced,
   * as a local commit does. Skipped while a local writer holds the slot; its commit applies them.
   */
  private void followTruth(Connection c) throws SQLException {
    users.refresh(c);
    long latest;
    try (Statement st = c.createStatement()) {
      latest = single(st, "SELECT COALESCE(MAX(version), 0) FROM versions");
    }
    if (latest <= clock.latest() || closed || !slot.tryAcquire(FOLLOW_WAIT)) {
      return;
    }
    try {
      if (closed) {
        return;
      }
      readTruth(c);
      clock.committing(latest);
      index.publish(c, latest, clock);
    } finally {
      slot.release();
    }
  }

  /** How long the follower waits for a local writer before it tries again at the next poll. */
  private static final java.time.Duration FOLLOW_WAIT = java.time.Duration.ofMillis(50);

  private static long single(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void publishLayer(Layer l) {
    layersByName.put(l.name().toUpperCase(java.util.Locale.ROOT), l);
    layersById.put(l.id(), l);
  }

  // ---- index lifecycle ----

  private void openIndex() {
    try (Connection c = pool.getConnection()) {
      index.open(c, latestVersion());
    } catch (SQLException e) {
      throw sqlFailure("opening the index", e);
    }
  }

  /** Drops the Lucene index and rebuilds it from H2 (an operator's repair; also used by tests). */
  public void rebuildIndex() {
    acquireWriter();
    try (Connection c = pool.getConnection()) {
      index.rebuild(c, latestVersion());
    } catch (SQLException e) {
      throw sqlFailure("rebuilding the index", e);
    } finally {
      releaseWriter();
    }
  }

  /** The highest version the index reflects (equal to {@link #latestVersion()} between writes). */
  public long indexWatermark() {
    return index.current().watermark();
  }

  /** The store's users and roles; the driver logs its connections in through it. */
  public Users users() {
    checkOpen();
    return users;
  }

  /** Heap bytes of the index's routing copies now (tests and benchmarks). */
  long routingCopyBytes() {
    return index.current().routingCopyBytes();
  }

  /**
   * Waits until the index's background segment merges are done and searchable, and the routing
   * copies of its large segments are made; returns the number of index segments then. The store
   * routes meanwhile, only slower (each segment is one more graph to walk, and a segment without
   * its copy is walked through Lucene's graph); benchmarks and maintenance windows call this.
   */
  public int awaitIndexMerges() {
    try {
      return index.current().awaitMerges();
    } catch (IOException e) {
      throw new UncheckedIOException("merging the index of " + config.location(), e);
    }
  }

  /**
   * The documents (edit versions' key spans) of each segment of the index now, largest first: how
   * many graphs a query walks, and how large (benchmarks report it beside their timings, which
   * depend on it).
   */
  public List<Integer> indexSegmentSizes() {
    try {
      return index.current().search().segmentSizes();
    } catch (IOException e) {
      throw new UncheckedIOException("reading the index of " + config.location(), e);
    }
  }

  // ---- writing ----

  /** A session: one H2 connection and, while it writes, the writer slot. Not thread-safe. */
  public StoreSession openSession(String actor) {
    checkOpen();
    try {
      return new StoreSession(this, pool.getConnection(), actor);
    } catch (SQLException e) {
      throw sqlFailure("opening a session", e);
    }
  }

  /** Creates a layer in its own transaction; returns it with its id and version. */
  public Layer createLayer(Layer spec, String actor) {
    try (StoreSession s = openSession(actor)) {
      s.createLayer(spec);
      s.commit();
      return layer(spec.name());
    }
  }

  /** Inserts one edit in its own transaction; returns its id. */
  public long insert(NewEdit edit, String actor) {
    try (StoreSession s = openSession(actor)) {
      long id = s.insert(edit);
      s.commit();
      return id;
    }
  }

  /**
   * Opens a write transaction on a session's connection, holding the writer slot until it commits
   * or rolls back.
   */
  Transaction begin(Connection sql, String actor) {
    checkOpen();
    return Transaction.begin(
        sql,
        actor,
        slot,
        clock,
        index,
        this::publishLayer,
        config.location(),
        config.shared() ? sharedWriters : null);
  }

  private void acquireWriter() {
    checkOpen();
    slot.acquire();
  }

  private void releaseWriter() {
    slot.release();
  }

  // ---- reading ----

  public StoreConfig config() {
    return config;
  }

  /** The newest committed version; 0 for an empty store. */
  public long latestVersion() {
    return clock.latest();
  }

  /**
   * Refuses a version that does not exist: valid ones are 0 (the empty origin) to the latest. A
   * version whose commit is under way (SQL already shows it; the index is catching up) is waited
   * for, briefly, rather than refused.
   */
  public long checkVersion(long v) {
    return clock.check(v);
  }

  public Optional<Layer> findLayer(String name) {
    return name == null
        ? Optional.empty()
        : Optional.ofNullable(layersByName.get(name.toUpperCase(java.util.Locale.ROOT)));
  }

  public Layer layer(String name) {
    return findLayer(name)
        .orElseThrow(
            () ->
                new StoreException(
                    UNKNOWN_LAYER,
                    "layer "
                        + name
                        + " does not exist; create it first with CREATE LAYER, or pick one of "
                        + layerNames()));
  }

  public List<Layer> layers() {
    return layersById.values().stream().sorted(Comparator.comparingInt(Layer::id)).toList();
  }

  private List<String> layerNames() {
    return layers().stream().map(Layer::name).toList();
  }

  /**
   * A new H2 connection with only the rights of {@code role}: the one an EditDB user's own SQL runs
   * on. It reads EditDB's relations through read-only views and writes only ordinary tables (schema
   * {@code APP}); H2 refuses it files, Java, settings and the base tables. The caller closes it.
   */
  public Connection connectAs(Role role) throws SQLException {
    checkOpen();
    return roles.connect(Objects.requireNonNull(role, "role"));
  }

  /**
   * The database's own user or role for an EditDB role: {@code EDITDB_AUDITOR} on H2, {@code
   * editdb_<database>_auditor} on PostgreSQL. On PostgreSQL an operator grants it to a tool's login
   * ({@code CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE editdb_edits_auditor}), and psql or any
   * PostgreSQL tool then reads EditDB's relations in schema {@code editdb} with exactly that role's
   * rights.
   */
  public String databaseRole(Role role) {
    checkOpen();
    return roles.name(Objects.requireNonNull(role, "role"));
  }

  /**
   * A connection of the store's internal H2 administrator, for the store's own reads (the caller
   * closes it). Trusted code only: it bypasses every right. Users' SQL runs on {@link #connectAs}.
   */
  public Connection readConnection() throws SQLException {
    checkOpen();
    return pool.getConnection();
  }

  public EditRecord edit(long id) {
    try (Connection c = pool.getConnection()) {
      return Rows.edit(c, id).orElseThrow(() -> unknownEdit(id));
    } catch (SQLException e) {
      throw sqlFailure("reading edit " + id, e);
    }
  }

  static StoreException unknownEdit(long id) {
    return new StoreException(
        UNKNOWN_EDIT, "edit " + id + " does not exist; look its id up in" + " the edits table");
  }

  /** Ids of the edits active at the version, of one layer or (layer null) of all, ascending. */
  public List<Long> activeEditIds(String layer, long version) {
    checkVersion(version);
    if (layer != null) {
      layer(layer);
    }
    try (Connection c = pool.getConnection()) {
      return Rows.activeIds(c, layer, version);
    } catch (SQLException e) {
      throw sqlFailure("reading the edits active at version " + version, e);
    }
  }

  /** The expert of an edit, decoded to f32 (the applier's loader). */
  public ExpertWeights weights(long editId) {
    EditRecord e = edit(editId);
    Layer l = layer(e.layer());
    return new ExpertWeights(
        editId,
        l.expertKind(),
        e.rank(),
        l.dIn(),
        l.dOut(),
        e.alpha(),
        VectorCodec.decode(e.expertA()),
        VectorCodec.decode(e.expertB()),
        e.tokenMask());
  }

  /**
   * The k edits of the layer active at the version whose primary key (visual, or text on a
   * text-only layer) is most similar to {@code primary}, best first, with raw similarities on the
   * primary and the text key ({@code text} may be null: text similarity is then NaN).
   */
  public List<KeyHit> searchKeys(
      Layer layer, float[] primary, float[] text, int k, long version, SearchMode mode) {
    return searchKeys(layer, primary, text, k, version, active -> mode);
  }

  /**
   * {@link #searchKeys(Layer, float[], float[], int, long, SearchMode)} with the search mode chosen
   * from the number of the layer's edits active at the version ({@code modeForActive}), counted on
   * the same index reader the search then uses: one version check and one reader per query. No edit
   * active: no hits, and the mode is not asked for.
   */
  public List<KeyHit> searchKeys(
      Layer layer,
      float[] primary,
      float[] text,
      int k,
      long version,
      java.util.function.IntFunction<SearchMode> modeForActive) {
    return searchKeys(
        layer, primary, text, TextScoring.ALL, k, version, modeForActive, Float.NEGATIVE_INFINITY);
  }

  /**
   * {@link #searchKeys(Layer, float[], float[], int, long, java.util.function.IntFunction)}, with
   * text similarities only for the hits {@code scoring} names (NaN for the others): a router that
   * keeps only its best hits above its threshold skips reading the text keys of the rest. A caller
   * that keeps only hits with a primary similarity of at least {@code keepFrom} (a router's hard
   * filter) says so, and a graph walk that has found such keys then stops leaving their
   * neighbourhood (see {@code KeySearch#walkFloor}): hits below it may still be returned, hits at
   * or above it are found as without it, up to the graph search's own recall. {@code
   * Float.NEGATIVE_INFINITY}: every hit is wanted.
   */
  public List<KeyHit> searchKeys(
      Layer layer,
      float[] primary,
      float[] text,
      TextScoring scoring,
      int k,
      long version,
      java.util.function.IntFunction<SearchMode> modeForActive,
      float keepFrom) {
    checkVersion(version);
    if (Float.isNaN(keepFrom)) {
      throw new StoreException(
          INVALID_VALUE,
          "keepFrom must be a number (Float.NEGATIVE_INFINITY keeps every hit); keepFrom=NaN");
    }
    if (k < 1 || k > Layer.MAX_CANDIDATES) {
      throw new StoreException(
          INVALID_VALUE, "k must be between 1 and " + Layer.MAX_CANDIDATES + "; k=" + k);
    }
    try {
      return index
          .current()
          .search()
          .search(layer, primary, text, scoring, k, version, modeForActive, keepFrom);
    } catch (IOException e) {
      throw new UncheckedIOException("searching the index of " + config.location(), e);
    }
  }

  /** Number of the layer's edits active at the version (the router's exact-or-HNSW input). */
  public int activeCount(Layer layer, long version) {
    checkVersion(version);
    try {
      return index.current().search().count(layer, version);
    } catch (IOException e) {
      throw new UncheckedIOException("counting in the index of " + config.location(), e);
    }
  }

  /**
   * Checks the hash chain and every row's content hash, and replays the history and the user chain
   * against the tables they describe.
   */
  public HistoryCheck verifyHistory() {
    try (Connection c = pool.getConnection()) {
      return verifyHistory(c, false);
    } catch (SQLException e) {
      throw sqlFailure("verifying the history", e);
    }
  }

  /**
   * The replay reads several tables in several queries, and H2 gives no snapshot across them: a
   * commit between two queries would look like tampering. So a failed check counts only if no
   * version was committed while it ran; after three such races it runs holding the writer slot.
   * User changes wait for it (they lock {@link #users}). A caller inside a write transaction
   * ({@code holdsWriter}) already keeps every writer out. PostgreSQL gives a snapshot across
   * queries (REPEATABLE READ), which is also the only way to see one while other nodes write.
   */
  HistoryCheck verifyHistory(Connection c, boolean holdsWriter) throws SQLException {
    synchronized (users) {
      if (holdsWriter) {
        return Rows.verify(c);
      }
      if (config.shared()) {
        return inSnapshot(c);
      }
      for (int attempt = 0; attempt < 3; attempt++) {
        long latest = clock.latest();
        long inFlight = clock.committing();
        HistoryCheck h = Rows.verify(c);
        if (h.ok()
            || (inFlight <= latest && latest == clock.latest() && inFlight == clock.committing())) {
          return h;
        }
      }
      acquireWriter();
      try {
        return Rows.verify(c);
      } finally {
        releaseWriter();
      }
    }
  }

  private static HistoryCheck inSnapshot(Connection c) throws SQLException {
    boolean auto = c.getAutoCommit();
    int isolation = c.getTransactionIsolation();
    c.setAutoCommit(false);
    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    try {
      HistoryCheck h = Rows.verify(c);
      c.commit();
      return h;
    } finally {
      if (!c.isClosed()) {
        c.rollback();
        c.setTransactionIsolation(isolation);
        c.setAutoCommit(auto);
      }
    }
  }

  static OffsetDateTime now() {
    return OffsetDateTime.now(java.time.ZoneOffset.UTC)
        .truncatedTo(java.time.temporal.ChronoUnit.MICROS);
  }

  StoreException sqlFailure(String what, SQLException e) {
    return sqlFailure(config.location(), what, e);
  }

  static StoreException sqlFailure(String location, String what, SQLException e) {
    return new StoreException(
        UNAVAILABLE, location + " - " + what + " failed: " + e.getMessage(), e);
  }

  private void checkOpen() {
    if (closed) {
      throw new StoreException(
          UNAVAILABLE, "store " + config.location() + " is closed; open it" + " again");
    }
  }

  public boolean isClosed() {
    return closed;
  }

  /** Commits the index with its watermark and closes H2; waits for a writing transaction. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    boolean got = slot.tryAcquire();
    if (!got) {
      LOG.warn(
          "{} - closing while a transaction still holds the writer slot; it is lost",
          config.location());
    }
    try {
      closeQuietly();
    } finally {
      if (got) {
        slot.release();
      }
    }
  }

  private void closeQuietly() {
    closed = true;
    if (follower != null) {
      follower.close();
    }
    index.close();
    if (config.inMemory()) {
      // An in-memory database outlives its connections (DB_CLOSE_DELAY=-1) until told otherwise.
      try (Connection c = pool.getConnection();
          Statement st = c.createStatement()) {
        st.execute("SET DB_CLOSE_DELAY 0");
      } catch (SQLException e) {
        LOG.debug("{} - close: {}", config.location(), e.toString());
      }
    }
    // Closing the pool closes (or aborts) every connection, and the last one closes the
    // database. A SHUTDOWN statement closed it under the pool instead, and the pool's clean-up
    // of the connection that ran it left an exception in editdb.trace.db at every close.
    pool.close();
  }

  @Override
  public String toString() {
    return "EditStore{" + config + ", version=" + latestVersion() + "}";
  }

  /** A copy for tests of the in-memory counters (what the next writer would use). */
  List<Object> writerState() {
    WriterSlot.Counters c = slot.counters();
    return new ArrayList<>(List.of(c.nextEditId(), c.nextLayerId(), c.lastSeq(), c.lastHash()));
  }
}
