package io.editdb.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Configuration of one {@link EditStore}: where it lives and a few tuning values. Immutable;
 * validated in the factory and in {@code opt} methods.
 *
 * <pre>{@code
 * StoreConfig cfg = StoreConfig.directory(Path.of("edits")).optPoolSize(8);
 * StoreConfig mem = StoreConfig.inMemory("test");
 * }</pre>
 */
public final class StoreConfig {
  /**
   * Lucene's beamWidth (candidates kept while inserting into the graph) is 100; 200 builds a better
   * graph: {@code editdb bench routing 100000 300 hnsw=16,200} gave recall 0.9996 in two runs
   * against 0.9894 to 0.9994 at 100 (same search time), for 25% more load time.
   */
  static final int DEFAULT_HNSW_BEAM_WIDTH = 200;

  /** See {@link #optRoutingCopyBytes}: -1 is a quarter of the JVM's maximum heap. */
  static final long DEFAULT_ROUTING_COPY_BYTES = -1;

  /** See {@link #optSegmentMaxSpans}: measured by {@code editdb bench knn} (README). */
  static final int DEFAULT_SEGMENT_MAX_SPANS = 500_000;

  // Where the store is: set by the factory, never changed.
  private final Path directory;
  private final String memoryName;
  private final Postgres postgres;

  // Settings: each opt* method returns a copy with one of them changed (see with), so a config a
  // caller holds never changes.
  private int poolSize = 10;
  private Duration writeLockTimeout = Duration.ofSeconds(30);
  private int indexCommitEveryVersions = 64;
  private int hnswMaxConn = 16;
  private int hnswBeamWidth = DEFAULT_HNSW_BEAM_WIDTH;
  private int segmentMaxSpans = DEFAULT_SEGMENT_MAX_SPANS;
  private long routingCopyBytes = DEFAULT_ROUTING_COPY_BYTES;

  /** A store at one place with the default settings. */
  private StoreConfig(Path directory, String memoryName, Postgres postgres) {
    this.directory = directory;
    this.memoryName = memoryName;
    this.postgres = postgres;
  }

  /** A copy of this config with {@code change} applied to the copy's settings. */
  private StoreConfig with(Consumer<StoreConfig> change) {
    StoreConfig c = new StoreConfig(directory, memoryName, postgres);
    c.poolSize = poolSize;
    c.writeLockTimeout = writeLockTimeout;
    c.indexCommitEveryVersions = indexCommitEveryVersions;
    c.hnswMaxConn = hnswMaxConn;
    c.hnswBeamWidth = hnswBeamWidth;
    c.segmentMaxSpans = segmentMaxSpans;
    c.routingCopyBytes = routingCopyBytes;
    change.accept(c);
    return c;
  }

  /** A store in a directory, created if missing: {@code editdb.mv.db} (H2) and {@code index/}. */
  public static StoreConfig directory(Path dir) {
    Objects.requireNonNull(dir, "directory");
    Path abs = dir.toAbsolutePath().normalize();
    // The path becomes part of H2's URL, where ';' starts a setting (INIT=... runs SQL) and the
    // rest are H2's own URL syntax: refuse them rather than escape them.
    String bad =
        abs.toString()
            .chars()
            .filter(ch -> ch == ';' || ch == '\\' || ch < 0x20)
            .mapToObj(
                ch ->
                    ch < 0x20
                        ? String.format(java.util.Locale.ROOT, "U+%04X", ch)
                        : "'" + (char) ch + "'")
            .findFirst()
            .orElse(null);
    if (bad != null) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "a store directory must not"
              + " contain ';', '\\' or control characters (they would reach H2's URL); found "
              + bad
              + " in "
              + dir
              + ". Choose a directory without them");
    }
    return new StoreConfig(abs, null, null);
  }

  /** A store in memory, gone when closed. Names are per JVM. */
  public static StoreConfig inMemory(String name) {
    if (name == null || !name.matches("[A-Za-z0-9_.-]{1,128}")) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "in-memory store name must be 1 to 128 letters, digits, '_', '.' or '-'; name=" + name);
    }
    return new StoreConfig(null, name, null);
  }

  /**
   * Where a store on PostgreSQL keeps its truth: the JDBC URL of the database and the login of the
   * store's owner (it owns EditDB's tables and creates the three role logins, so it needs {@code
   * CREATEROLE}; it is never an EditDB user's).
   */
  record Postgres(String url, String user, String password) {
    @Override
    public String toString() {
      return url + " as " + user; // never the password
    }
  }

  /**
   * A store whose truth is a PostgreSQL database that any number of EditDB processes (nodes) open
   * at once; each node keeps its own derived key index in {@code indexDirectory} (created if
   * missing; two nodes must not share one). {@code url} is a PostgreSQL JDBC URL ({@code
   * jdbc:postgresql://host:port/database}); {@code user} owns EditDB's tables there and needs
   * {@code CREATEROLE} (it creates the three role logins users' SQL runs as).
   */
  public static StoreConfig postgres(
      String url, String user, String password, Path indexDirectory) {
    if (url == null || !url.startsWith("jdbc:postgresql://")) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "a PostgreSQL store needs a URL of the form jdbc:postgresql://host:port/database; url="
              + url);
    }
    if (user == null || user.isBlank()) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "a PostgreSQL store needs the login of the store's owner; user="
              + user
              + ". Give the PostgreSQL user that owns (or may create) EditDB's tables");
    }
    StoreConfig local = directory(indexDirectory); // the same checks as a directory store's
    return new StoreConfig(
        local.directory, null, new Postgres(url, user, password == null ? "" : password));
  }

  /** H2 connections in the pool (readers and the one writer). */
  public StoreConfig optPoolSize(int n) {
    if (n < 2 || n > 256) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE, "pool size must be between 2 and 256; poolSize=" + n);
    }
    return with(c -> c.poolSize = n);
  }

  /** How long a transaction waits for the single writer slot before it is refused. */
  public StoreConfig optWriteLockTimeout(Duration d) {
    if (d == null || d.isNegative()) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "write lock timeout must be zero or positive; timeout=" + d);
    }
    return with(c -> c.writeLockTimeout = d);
  }

  /**
   * Versions between durable Lucene commits. H2 makes a commit durable; the index only needs to
   * catch up from its last commit, so committing it less often costs nothing in safety.
   */
  public StoreConfig optIndexCommitEveryVersions(int n) {
    if (n < 1) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "index commit interval must be at least 1 version; n=" + n);
    }
    return with(c -> c.indexCommitEveryVersions = n);
  }

  /** HNSW graph parameters (Lucene's maxConn and beamWidth; default 16 and 200). */
  public StoreConfig optHnsw(int maxConn, int beamWidth) {
    if (maxConn < 2 || maxConn > 512 || beamWidth < 2 || beamWidth > 3200) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "HNSW maxConn must be in [2, 512] and beamWidth in [2, 3200]; maxConn="
              + maxConn
              + ", beamWidth="
              + beamWidth);
    }
    return with(
        c -> {
          c.hnswMaxConn = maxConn;
          c.hnswBeamWidth = beamWidth;
        });
  }

  /**
   * Index segments stop growing by merges once they hold this many spans (all layers); a larger
   * store is split into several graphs, which a query searches in parallel. Smaller values trade
   * total search work (throughput under load) for latency on an idle machine. On a machine with few
   * cores, a limit at or above the store's size (one graph, walked on one thread) has the shorter
   * tail: at a million keys on 2 cores, p99 0.62 against 1.68 ms for three segments, at a p50 of
   * 0.32 ms both and recall 0.9989 against 0.9999 (README, {@code editdb bench peer ... one}).
   */
  public StoreConfig optSegmentMaxSpans(int n) {
    if (n < 1_000) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "segment size limit must be at least 1,000 spans; segmentMaxSpans=" + n);
    }
    return with(c -> c.segmentMaxSpans = n);
  }

  /**
   * Heap the index may spend on routing copies of its large segments (their graphs with 8-bit codes
   * of the keys, walked instead of Lucene's graph: a million 512-float keys take about 600 MB); 0
   * turns them off. Default: a quarter of the JVM's maximum heap.
   */
  public StoreConfig optRoutingCopyBytes(long bytes) {
    if (bytes < 0) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "the routing copy budget must be 0 (off) or a positive number of bytes;"
              + " routingCopyBytes="
              + bytes
              + ". Use e.g. 1073741824 for 1 GiB, or 0 to turn routing copies off");
    }
    return with(c -> c.routingCopyBytes = bytes);
  }

  /** The routing copy budget in bytes (the default resolved against this JVM's heap). */
  long routingCopyBytes() {
    return routingCopyBytes >= 0 ? routingCopyBytes : Runtime.getRuntime().maxMemory() / 4;
  }

  public boolean inMemory() {
    return directory == null;
  }

  /**
   * Whether the truth is shared with other processes (PostgreSQL): writers then serialize through
   * the database, and a node follows the versions other nodes commit.
   */
  public boolean shared() {
    return postgres != null;
  }

  /** The PostgreSQL truth; null for an H2 store. */
  Postgres postgres() {
    return postgres;
  }

  public Path directory() {
    return directory;
  }

  /**
   * Whether the store is there to open: a directory holding a store's database. An in-memory store
   * has nothing to find, so it is always there (made on first use); a PostgreSQL store's database
   * is the operator's, and its schema is made on first open.
   *
   * @return false only for a directory that holds no store (yet)
   */
  public boolean exists() {
    return inMemory()
        || shared()
        || java.nio.file.Files.exists(directory.resolve(H2_FILE + ".mv.db"));
  }

  String memoryName() {
    return memoryName;
  }

  int poolSize() {
    return poolSize;
  }

  Duration writeLockTimeout() {
    return writeLockTimeout;
  }

  int indexCommitEveryVersions() {
    return indexCommitEveryVersions;
  }

  int segmentMaxSpans() {
    return segmentMaxSpans;
  }

  int hnswMaxConn() {
    return hnswMaxConn;
  }

  int hnswBeamWidth() {
    return hnswBeamWidth;
  }

  /**
   * WRITE_DELAY=0: with H2's default (500 ms) a commit stays in memory until a background thread
   * writes it, so a process killed in that window loses versions whose commit() had returned. At 0,
   * H2 writes the commit's MVStore chunk before the commit returns, which survives a killed process
   * (surviving a power cut would also need the OS to have flushed it to disk).
   *
   * <p>MAX_COMPACT_TIME=0: H2 2.3.232 compacts the file for up to 200 ms when a database closes
   * (every store close, and the probe on every open), moving chunks inside the file; a process
   * killed during that close could reopen thousands of versions back (2 of about 90 such kills;
   * likely H2 issue 4247, whose close-order fix is in 2.4.240; 2.5.252 lost nothing in 95). Without
   * it the file is not compacted: churn-heavy stores grow (9,000 small versions: 169 MB, 8 MB after
   * a compacting close), insert-heavy ones do not (30,000 edits: 1.2 GB either way). Reconsider
   * once H2 is 2.4.240 or newer.
   *
   * <p>TRACE_LEVEL_FILE=0: H2 would write every failed statement, with its SQL text, to
   * editdb.trace.db beside the store: a user's refused statement must leave no file, and the text
   * of a statement is the user's, not the operator's log. Errors reach the caller as exceptions.
   *
   * <p>OPTIMIZE_REUSE_RESULTS=0: H2 would hand a prepared query the rows of its previous run when
   * the parameters are equal and no H2 data changed since. {@code ROUTE} is declared deterministic
   * (so that H2 does not parse it again on every run, see the query layer's RoutingFunctions), but
   * its rows at the latest version also depend on the index, which a commit announces after H2's
   * commit: rows reused from between the two would hide the commit.
   */
  String h2Url() {
    return inMemory()
        ? "jdbc:h2:mem:editdb_" + memoryName + ";DB_CLOSE_DELAY=-1;OPTIMIZE_REUSE_RESULTS=0"
        : h2FileUrl(H2_FILE);
  }

  /** The store's H2 database file in its directory, without H2's {@code .mv.db}. */
  static final String H2_FILE = "editdb";

  /** The URL of an H2 database {@code file} in the store's directory, with the store's settings. */
  String h2FileUrl(String file) {
    return "jdbc:h2:file:"
        + directory.resolve(file)
        + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0;MAX_COMPACT_TIME=0;TRACE_LEVEL_FILE=0"
        + ";OPTIMIZE_REUSE_RESULTS=0";
  }

  /**
   * The URL an EditDB user's restricted connection opens: the database only if it is open already
   * (IFEXISTS), and none of the database settings above, which only an H2 administrator may give.
   */
  String h2UserUrl() {
    return inMemory()
        ? "jdbc:h2:mem:editdb_" + memoryName + ";IFEXISTS=TRUE"
        : "jdbc:h2:file:" + directory.resolve(H2_FILE) + ";IFEXISTS=TRUE";
  }

  /** A short name for logs and for identifying one store among several. */
  public String location() {
    if (shared()) {
      return postgres.url() + " (index " + directory + ")";
    }
    return inMemory() ? "mem:" + memoryName : directory.toString();
  }

  @Override
  public String toString() {
    return "StoreConfig{location="
        + location()
        + ", poolSize="
        + poolSize
        + ", writeLockTimeout="
        + writeLockTimeout
        + ", indexCommitEveryVersions="
        + indexCommitEveryVersions
        + ", hnswMaxConn="
        + hnswMaxConn
        + ", hnswBeamWidth="
        + hnswBeamWidth
        + ", segmentMaxSpans="
        + segmentMaxSpans
        + "}";
  }
}
