package io.editdb.store;

import static io.editdb.store.StoreException.Kind.INVALID_VALUE;
import static io.editdb.store.StoreException.Kind.UNAVAILABLE;
import static io.editdb.store.StoreException.Kind.UNKNOWN_EDIT;
import static io.editdb.store.StoreException.Kind.UNKNOWN_LAYER;
import static io.editdb.store.StoreException.Kind.UNKNOWN_VERSION;
import static io.editdb.store.StoreException.Kind.WRITE_LOCK_TIMEOUT;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.h2.api.ErrorCode;
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
  static final String MIGRATIONS = "classpath:db/editdb";

  /**
   * EditDB's own schema history table, named apart from Flyway's default so that a user's Flyway
   * migrations (in schema APP) keep their own flyway_schema_history beside it.
   */
  static final String SCHEMA_HISTORY = "editdb_schema_history";

  private final StoreConfig config;
  private final HikariDataSource pool;
  private final Semaphore writer = new Semaphore(1, true);
  private final Map<String, Layer> layersByName = new ConcurrentHashMap<>();
  private final Map<Integer, Layer> layersById = new ConcurrentHashMap<>();
  private volatile KeyIndex index;
  private volatile long latestVersion;
  // The version a session is committing: visible to SQL from its H2 commit on, announced as
  // latestVersion only after the index catch-up. Readers that saw it in SQL wait on
  // `announcements` for it instead of being told it does not exist.
  private volatile long committing;
  private final Object announcements = new Object();
  // Owned by the writer slot: read and advanced only while it is held.
  long nextEditId;
  int nextLayerId;
  long lastSeq;
  String lastHash;
  private volatile boolean closed;
  private Users users;
  private H2Roles roles;

  private EditStore(StoreConfig config, HikariDataSource pool) {
    this.config = config;
    this.pool = pool;
  }

  /** Opens the store, creating it if missing, migrating its schema and catching up its index. */
  public static EditStore open(StoreConfig config) {
    if (!config.inMemory()) {
      try {
        Files.createDirectories(config.directory());
      } catch (IOException e) {
        throw new StoreException(
            UNAVAILABLE,
            "cannot create store directory "
                + config.directory()
                + ": "
                + e.getMessage()
                + ". Check the path and its rights",
            e);
      }
    }
    if (!config.inMemory()) {
      createAtomically(config);
    }
    probe(config);
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(config.h2Url());
    hc.setUsername("sa");
    hc.setPassword("");
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
        store.roles = new H2Roles(pool, config.h2UserUrl());
      } catch (SQLException e) {
        throw store.sqlFailure("setting up the role users", e);
      }
      store.users = new Users(pool, config.location());
      store.openIndex();
      success = true;
      LOG.info("{} - opened at version {}", config.location(), store.latestVersion);
      return store;
    } finally {
      if (!success) {
        store.closeQuietly();
      }
    }
  }

  /**
   * One plain connection before the pool exists: a store another process holds is refused at once,
   * instead of after the pool's connection timeout.
   */
  private static void probe(StoreConfig config) {
    try (Connection c = java.sql.DriverManager.getConnection(config.h2Url(), "sa", "")) {
      c.isValid(1);
    } catch (SQLException e) {
      if (e.getErrorCode() == ErrorCode.DATABASE_ALREADY_OPEN_1
          || String.valueOf(e.getMessage()).contains("already in use")) {
        throw new StoreException(
            UNAVAILABLE,
            "store "
                + config.location()
                + " is in use by another process; one process opens a store at a time. Close the"
                + " other process or connect to it through its driver",
            e);
      }
      throw new StoreException(
          UNAVAILABLE, "cannot open store " + config.location() + ": " + e.getMessage(), e);
    }
  }

  /**
   * A new store's database is created and migrated under a staging name and only then moved into
   * place, in one rename. H2 commits each DDL statement of a migration as it runs, so a process
   * killed while creating a store would otherwise leave a half-migrated schema that Flyway has not
   * recorded and cannot re-run ("duplicate column"). A staging file left by such a kill holds no
   * commit of anyone's and is deleted.
   */
  private static void createAtomically(StoreConfig config) {
    Path target = config.directory().resolve(StoreConfig.H2_FILE + ".mv.db");
    if (Files.exists(target)) {
      return;
    }
    Path staging = config.directory().resolve(StoreConfig.H2_FILE + "-creating.mv.db");
    try {
      Files.deleteIfExists(staging);
      org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
      ds.setURL(config.h2FileUrl(StoreConfig.H2_FILE + "-creating"));
      ds.setUser("sa");
      ds.setPassword("");
      migrate(ds, config);
      try (Connection c = ds.getConnection();
          Statement st = c.createStatement()) {
        st.execute("SHUTDOWN"); // everything written and the file closed before the rename
      }
      Files.move(staging, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | SQLException e) {
      throw new StoreException(
          UNAVAILABLE,
          "cannot create store "
              + config.location()
              + ": "
              + e.getMessage()
              + ". Check the directory's free space and rights",
          e);
    }
  }

  private void migrate() {
    migrate(pool, config);
  }

  private static void migrate(javax.sql.DataSource dataSource, StoreConfig config) {
    // V4 creates the role users with this password; H2Roles replaces it before anyone logs in.
    byte[] secret = new byte[32];
    new java.security.SecureRandom().nextBytes(secret);
    renameSchemaHistory(dataSource, config);
    Flyway flyway =
        Flyway.configure()
            .dataSource(dataSource)
            .table(SCHEMA_HISTORY)
            .locations(MIGRATIONS)
            .placeholders(Map.of("role_password", java.util.HexFormat.of().formatHex(secret)))
            .ignoreMigrationPatterns("*:missing")
            .load();
    for (MigrationInfo info : flyway.info().all()) {
      if (info.getState().name().startsWith("FUTURE")) {
        throw new StoreException(
            UNAVAILABLE,
            "store "
                + config.location()
                + " has schema version "
                + info.getVersion()
                + " but this EditDB knows up to "
                + latestKnownMigration(flyway)
                + "; open it with a newer EditDB");
      }
    }
    flyway.migrate();
  }

  /**
   * Stores written before EditDB named its schema history kept it in Flyway's default table,
   * flyway_schema_history; it moves to {@link #SCHEMA_HISTORY}. The rename is one DDL statement,
   * which H2 commits whole, so a store killed during it has the old name (renamed on the next open)
   * or the new one.
   */
  private static void renameSchemaHistory(DataSource dataSource, StoreConfig config) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC'"
                    + " AND TABLE_NAME = ?")) {
      ps.setString(1, "flyway_schema_history");
      boolean old = count(ps) > 0;
      ps.setString(1, SCHEMA_HISTORY);
      if (old && count(ps) == 0) {
        try (Statement st = c.createStatement()) {
          st.execute(
              "ALTER TABLE PUBLIC.\"flyway_schema_history\" RENAME TO \"" + SCHEMA_HISTORY + "\"");
        }
        LOG.info("{} - schema history moved to {}", config.location(), SCHEMA_HISTORY);
      }
    } catch (SQLException e) {
      throw new StoreException(
          UNAVAILABLE,
          "cannot open store "
              + config.location()
              + ": moving its schema history to "
              + SCHEMA_HISTORY
              + " failed: "
              + e.getMessage(),
          e);
    }
  }

  private static long count(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String latestKnownMigration(Flyway flyway) {
    return Stream.of(flyway.info().all())
        .filter(i -> !i.getState().name().startsWith("FUTURE"))
        .map(i -> String.valueOf(i.getVersion()))
        .reduce((a, b) -> b)
        .orElse("none");
  }

  private void loadState() {
    try (Connection c = pool.getConnection();
        Statement st = c.createStatement()) {
      latestVersion = single(st, "SELECT COALESCE(MAX(version), 0) FROM versions");
      nextEditId = single(st, "SELECT COALESCE(MAX(id), 0) FROM edits") + 1;
      nextLayerId = (int) single(st, "SELECT COALESCE(MAX(id), 0) FROM layers") + 1;
      try (ResultSet rs =
          st.executeQuery("SELECT seq, hash FROM edit_history ORDER BY seq DESC LIMIT 1")) {
        lastSeq = rs.next() ? rs.getLong(1) : 0;
        lastHash = lastSeq == 0 ? HistoryChain.GENESIS : rs.getString(2);
      }
      try (ResultSet rs = st.executeQuery("SELECT * FROM layers ORDER BY id")) {
        while (rs.next()) {
          publishLayer(Rows.layer(rs));
        }
      }
    } catch (SQLException e) {
      throw sqlFailure("loading store state", e);
    }
  }

  private static long single(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  void publishLayer(Layer l) {
    layersByName.put(l.name().toUpperCase(java.util.Locale.ROOT), l);
    layersById.put(l.id(), l);
  }

  // ---- index lifecycle ----

  private Path indexPath() {
    return config.directory().resolve("index");
  }

  private Directory newDirectory() throws IOException {
    return config.inMemory() ? new ByteBuffersDirectory() : FSDirectory.open(indexPath());
  }

  private void openIndex() {
    try (Connection c = pool.getConnection()) {
      KeyIndex idx = null;
      String problem = null;
      try {
        idx = new KeyIndex(newDirectory(), config);
        idx.checkIntegrity(); // a corrupt segment throws here and is rebuilt below
        if (idx.watermark() > latestVersion) {
          problem =
              "index is ahead of the store (version "
                  + idx.watermark()
                  + " > "
                  + latestVersion
                  + ")";
        } else {
          idx.catchUp(c, latestVersion, layersById::get, true);
          long expected = spansUpTo(c, latestVersion);
          if (idx.spanCount() != expected) {
            problem = "index holds " + idx.spanCount() + " spans but the store has " + expected;
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
        idx = rebuild(c, latestVersion);
      }
      index = idx;
    } catch (SQLException e) {
      throw sqlFailure("opening the index", e);
    }
  }

  private KeyIndex rebuild(Connection c, long upTo) throws SQLException {
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
      idx.catchUp(c, upTo, layersById::get, true);
      idx.maybeCommit(1, true);
      return idx;
    } catch (IOException e) {
      throw new UncheckedIOException("rebuilding the index of " + config.location(), e);
    }
  }

  /** Drops the Lucene index and rebuilds it from H2 (an operator's repair; also used by tests). */
  public void rebuildIndex() {
    acquireWriter();
    try (Connection c = pool.getConnection()) {
      index.abandon();
      index = rebuild(c, latestVersion);
    } catch (SQLException e) {
      throw sqlFailure("rebuilding the index", e);
    } finally {
      writer.release();
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

  /** The highest version the index reflects (equal to {@link #latestVersion()} between writes). */
  public long indexWatermark() {
    return index.watermark();
  }

  /** The store's users and roles; the driver logs its connections in through it. */
  public Users users() {
    checkOpen();
    return users;
  }

  /**
   * Waits until the index's background segment merges are done and searchable; returns the number
   * of index segments then. The store routes meanwhile, only slower (each segment is one more graph
   * to walk); benchmarks and maintenance windows call this.
   */
  public int awaitIndexMerges() {
    try {
      return index.awaitMerges();
    } catch (IOException e) {
      throw new UncheckedIOException("merging the index of " + config.location(), e);
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

  void acquireWriter() {
    checkOpen();
    try {
      if (!writer.tryAcquire(config.writeLockTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        throw new StoreException(
            WRITE_LOCK_TIMEOUT,
            "another transaction held the writer slot"
                + " for more than "
                + config.writeLockTimeout()
                + "; one transaction writes at a"
                + " time. Commit or roll back the other transaction, or retry");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException(WRITE_LOCK_TIMEOUT, "interrupted while waiting for the writer slot");
    }
  }

  void releaseWriter() {
    writer.release();
  }

  /**
   * Called by a session after its H2 commit, still holding the writer slot. The version becomes the
   * latest only once the index has applied it: a reader that takes the latest version and routes at
   * it must find that version in the index, not the one before. The index reads the version through
   * the session's own connection: when open sessions hold every pooled connection, waiting for
   * another one would stall the commit and every writer behind it.
   */
  void published(Connection session, long version, List<Layer> newLayers) {
    for (Layer l : newLayers) {
      publishLayer(l);
    }
    try {
      catchUpIndex(session, version);
    } finally {
      announce(version); // H2 has it, index or not: the next transaction gets the one after
    }
  }

  private void catchUpIndex(Connection c, long version) {
    try {
      index.catchUp(c, version, layersById::get, false);
      index.maybeCommit(config.indexCommitEveryVersions(), false);
    } catch (IOException | SQLException | RuntimeException e) {
      LOG.error(
          "{} - version {} is committed in H2 but the index could not apply it ({});"
              + " rebuilding",
          config.location(),
          version,
          e.toString());
      try {
        index.abandon();
        index = rebuild(c, version);
      } catch (SQLException | RuntimeException e2) {
        throw new IllegalStateException(
            "version "
                + version
                + " is durable in H2 but the index"
                + " could not be rebuilt; reopen the store to retry",
            e2);
      }
    }
  }

  /** Called by a session just before its H2 commit (holding the writer slot). */
  void committing(long version) {
    committing = version;
  }

  /** Called by a session whose H2 commit failed: nobody should wait for that version. */
  void commitFailed() {
    synchronized (announcements) {
      committing = latestVersion;
      announcements.notifyAll();
    }
  }

  private void announce(long version) {
    synchronized (announcements) {
      latestVersion = version;
      announcements.notifyAll();
    }
  }

  /**
   * Waits, at most the write lock timeout, until the version being committed is announced; returns
   * the latest version then.
   */
  private long awaitAnnounced(long v) {
    long deadline = System.nanoTime() + config.writeLockTimeout().toNanos();
    synchronized (announcements) {
      while (latestVersion < v && v <= committing) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(announcements, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      return latestVersion;
    }
  }

  // ---- reading ----

  public StoreConfig config() {
    return config;
  }

  /** The newest committed version; 0 for an empty store. */
  public long latestVersion() {
    return latestVersion;
  }

  /**
   * Refuses a version that does not exist: valid ones are 0 (the empty origin) to the latest. A
   * version whose commit is under way (SQL already shows it; the index is catching up) is waited
   * for, briefly, rather than refused.
   */
  public long checkVersion(long v) {
    long latest = latestVersion;
    if (v > latest && v <= committing) {
      latest = awaitAnnounced(v);
    }
    if (v < 0 || v > latest) {
      throw new StoreException(
          UNKNOWN_VERSION,
          "version "
              + v
              + " does not exist; versions run"
              + " from 0 (empty) to "
              + latest
              + ". Use a version in that range");
    }
    return v;
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

  Layer layerById(int id) {
    return layersById.get(id);
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
   * A connection of the store's internal H2 administrator, for the store's own reads (the caller
   * closes it). Trusted code only: it bypasses every right. Users' SQL runs on {@link #connectAs}.
   */
  public Connection readConnection() throws SQLException {
    checkOpen();
    return pool.getConnection();
  }

  /** The pool of H2 connections (reads only: writes go through sessions). */
  public DataSource dataSource() {
    return pool;
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
    checkVersion(version);
    if (k < 1 || k > Layer.MAX_CANDIDATES) {
      throw new StoreException(
          INVALID_VALUE, "k must be between 1 and " + Layer.MAX_CANDIDATES + "; k=" + k);
    }
    try {
      return index.search(layer, primary, text, k, version, modeForActive);
    } catch (IOException e) {
      throw new UncheckedIOException("searching the index of " + config.location(), e);
    }
  }

  /** Number of the layer's edits active at the version (the router's exact-or-HNSW input). */
  public int activeCount(Layer layer, long version) {
    checkVersion(version);
    try {
      return index.count(layer, version);
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
   * ({@code holdsWriter}) already keeps every writer out.
   */
  HistoryCheck verifyHistory(Connection c, boolean holdsWriter) throws SQLException {
    synchronized (users) {
      if (holdsWriter) {
        return Rows.verify(c);
      }
      for (int attempt = 0; attempt < 3; attempt++) {
        long latest = latestVersion;
        long inFlight = committing;
        HistoryCheck h = Rows.verify(c);
        if (h.ok() || (inFlight <= latest && latest == latestVersion && inFlight == committing)) {
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

  static OffsetDateTime now() {
    return OffsetDateTime.now(java.time.ZoneOffset.UTC)
        .truncatedTo(java.time.temporal.ChronoUnit.MICROS);
  }

  StoreException sqlFailure(String what, SQLException e) {
    return new StoreException(
        UNAVAILABLE, config.location() + " - " + what + " failed: " + e.getMessage(), e);
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
    boolean got = false;
    try {
      got = writer.tryAcquire(config.writeLockTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!got) {
      LOG.warn(
          "{} - closing while a transaction still holds the writer slot; it is lost",
          config.location());
    }
    try {
      closeQuietly();
    } finally {
      if (got) {
        writer.release();
      }
    }
  }

  private void closeQuietly() {
    closed = true;
    try {
      if (index != null) {
        index.close();
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("{} - closing the index failed: {}", config.location(), e.toString());
    }
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
    return "EditStore{" + config + ", version=" + latestVersion + "}";
  }

  /** A copy for tests of the in-memory counters (what the next writer would use). */
  List<Object> writerState() {
    return new ArrayList<>(List.of(nextEditId, nextLayerId, lastSeq, lastHash));
  }
}
