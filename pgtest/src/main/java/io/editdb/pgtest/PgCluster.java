package io.editdb.pgtest;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throw-away PostgreSQL cluster for tests and benchmarks: {@code initdb} into a fresh directory
 * under {@code java.io.tmpdir}, a server on a free port of 127.0.0.1, deleted again by {@link
 * #close()} or, if a test forgets, by a JVM shutdown hook.
 *
 * <p>Why not the machine's own PostgreSQL (Debian's cluster on 5432)? Tests need to crash, restart
 * and terminate backends of the server they talk to, which nobody may do to a shared system
 * service, and they must not depend on its passwords, settings or leftover data. A private cluster
 * costs about a second to make.
 *
 * <p>Durability stays on ({@code fsync}, {@code synchronous_commit}, {@code full_page_writes}):
 * tests {@link #crash()} the server and kill client processes and then expect every committed row
 * to be there, which a cluster tuned for speed would not promise.
 *
 * <p>PostgreSQL refuses to run as root. When this JVM runs as root (CI does), every PostgreSQL
 * command runs as the OS user {@code postgres} through {@code runuser}, and the cluster's directory
 * is owned by that user.
 *
 * <p>Authentication: the superuser {@value #SUPERUSER} has a random password, and TCP connections
 * must prove it with SCRAM-SHA-256, so tests exercise the same authentication as production; the
 * Unix socket (in the cluster's own mode-700 directory) trusts, for debugging with {@code psql -h
 * <directory>}.
 *
 * <p>Use {@link #shared()} for the many tests that only need a database ({@link
 * #createDatabase(String)} gives each its own), and {@link #start()} for a test that crashes,
 * restarts or stops the server, so it does not disturb the others.
 */
public final class PgCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PgCluster.class);

  /** What to do when PostgreSQL is missing; tests put it in their skip message. */
  static final String INSTALL_HINT =
      "install Debian's postgresql (as root: apt-get update && apt-get install -y postgresql); it"
          + " puts initdb and pg_ctl in /usr/lib/postgresql/<version>/bin, where PgCluster looks";

  private static final String HOST = "127.0.0.1";
  private static final String SUPERUSER = "editdb_owner";
  private static final String DATABASE = "editdb";
  private static final String OS_USER = "postgres";
  private static final String DIR_PREFIX = "editdb-pg-";
  private static final String OWNER_FILE = "owner";
  private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");
  private static final int START_TIMEOUT_S = 60;
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(START_TIMEOUT_S + 30);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  private static final int PORT_ATTEMPTS = 3;
  private static final int LOG_TAIL_LINES = 25;
  private static final Pattern VERSION_DIR = Pattern.compile("\\d+(\\.\\d+)?");

  private static final Set<PgCluster> OPEN = ConcurrentHashMap.newKeySet();
  private static final AtomicBoolean HOOK_ADDED = new AtomicBoolean();
  private static PgCluster shared; // guarded by PgCluster.class

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final Path log;
  private final boolean asPostgres;
  private final String password;
  private final AtomicInteger databases = new AtomicInteger();
  private int port; // fixed after the first successful start
  private long postmasterPid = -1;
  private boolean running;
  private boolean closed;
  private volatile boolean isShared;

  private PgCluster(Path bin, Path dir, boolean asPostgres, String password) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.log = dir.resolve("server.log");
    this.asPostgres = asPostgres;
    this.password = password;
  }

  // ---------------------------------------------------------------- finding PostgreSQL

  /**
   * The directory holding {@code initdb} and {@code pg_ctl}: the newest Debian-style {@code
   * /usr/lib/postgresql/<version>/bin}, else the directory of an {@code initdb} on {@code PATH}
   * (Debian does not put initdb on PATH, other systems do).
   */
  public static Optional<Path> binaries() {
    if (Files.isDirectory(DEBIAN_ROOT)) {
      try (Stream<Path> versions = Files.list(DEBIAN_ROOT)) {
        Optional<Path> newest =
            versions
                .filter(p -> VERSION_DIR.matcher(p.getFileName().toString()).matches())
                .sorted(Comparator.comparingDouble(PgCluster::version).reversed())
                .map(p -> p.resolve("bin"))
                .filter(PgCluster::hasTools)
                .findFirst();
        if (newest.isPresent()) {
          return newest;
        }
      } catch (IOException e) {
        LOG.debug("cannot list {}", DEBIAN_ROOT, e);
      }
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String entry : path.split(Pattern.quote(File.pathSeparator))) {
        if (entry.isEmpty()) {
          continue;
        }
        Path initdb = Path.of(entry, "initdb");
        if (Files.isExecutable(initdb)) {
          try {
            Path real = initdb.toRealPath().getParent(); // /usr/bin/initdb may be a link
            if (hasTools(real)) {
              return Optional.of(real);
            }
          } catch (IOException e) {
            LOG.debug("cannot resolve {}", initdb, e);
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Whether {@link #binaries()} finds PostgreSQL, so that {@link #start()} can work. */
  public static boolean available() {
    return binaries().isPresent();
  }

  private static double version(Path versionDir) {
    return Double.parseDouble(versionDir.getFileName().toString());
  }

  private static boolean hasTools(Path binDir) {
    return Files.isExecutable(binDir.resolve("initdb"))
        && Files.isExecutable(binDir.resolve("pg_ctl"));
  }

  // ---------------------------------------------------------------- starting

  /**
   * One cluster for the whole JVM, started on first use and stopped by the shutdown hook, so that
   * many test classes pay for {@code initdb} once. Each test should work in its own database
   * ({@link #createDatabase(String)}) and must not crash, restart, stop or close it: {@link
   * #close()} on the shared cluster does nothing, for a test that wraps it in try-with-resources.
   */
  public static synchronized PgCluster shared() {
    if (shared == null || shared.isClosed()) {
      PgCluster c = start();
      c.isShared = true;
      shared = c;
    } else {
      shared.ensureRunning();
    }
    return shared;
  }

  /**
   * Makes a new cluster and starts it: {@code initdb}, a free port on 127.0.0.1, the server, and
   * the database {@value #DATABASE}. About a second on a laptop.
   *
   * @throws IllegalStateException if PostgreSQL is not installed or any step fails; the message
   *     names the command, its output, the end of the server log and a fix
   */
  public static PgCluster start() {
    long t0 = System.nanoTime();
    Path bin =
        binaries()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "PostgreSQL test cluster: PostgreSQL is not installed (no "
                            + DEBIAN_ROOT
                            + "/<version>/bin/initdb with pg_ctl, and no initdb on PATH); fix: "
                            + INSTALL_HINT));
    boolean asPostgres = Os.isRoot();
    if (asPostgres) {
      Os.checkRunuser(OS_USER);
    }
    Path base = baseDirectory(asPostgres);
    removeStale(base, bin, asPostgres);
    Path dir;
    try {
      dir =
          Files.createTempDirectory(
              base,
              DIR_PREFIX,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      writeOwner(dir);
    } catch (IOException e) {
      throw new IllegalStateException(
          "PostgreSQL test cluster: cannot create a directory in "
              + base
              + " ("
              + e
              + "); fix: make java.io.tmpdir a writable directory",
          e);
    }
    PgCluster c = new PgCluster(bin, dir, asPostgres, randomPassword());
    OPEN.add(c);
    addShutdownHook();
    try {
      c.initdb();
      c.firstStart();
      c.createDatabaseNamed(DATABASE);
    } catch (RuntimeException e) {
      try {
        c.closeNow();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    LOG.info(
        "PostgreSQL test cluster {} on {}:{} ready in {} ms ({})",
        dir,
        HOST,
        c.port,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
        bin);
    return c;
  }

  private void initdb() {
    Path pwfile = dir.resolve("pwfile");
    try {
      Files.writeString(
          pwfile,
          password + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      Files.setPosixFilePermissions(pwfile, PosixFilePermissions.fromString("rw-------"));
      if (asPostgres) {
        Os.chown(dir, OS_USER);
        Os.chown(pwfile, OS_USER);
      }
      // C.UTF-8: byte-order collation like C (stable, the same on every machine), but UTF-8
      // character classes for upper()/lower() and regexes. Older C libraries lack it: then C.
      Command.Result r = null;
      for (String locale : List.of("C.UTF-8", "C")) {
        r = pg("initdb", initdbArgs(pwfile, locale));
        if (r.exit() == 0) {
          if (!locale.equals("C.UTF-8")) {
            LOG.warn("locale C.UTF-8 is not available; the test cluster uses locale C");
          }
          break;
        }
        if (!r.output().toLowerCase(Locale.ROOT).contains("locale")) {
          break; // not a locale problem: report it as it is
        }
        deleteTree(data);
      }
      if (r.exit() != 0) {
        throw failure(
            "initdb",
            r,
            false,
            "check that "
                + dir.getParent()
                + " is on a file system with space"
                + (asPostgres ? " that the OS user postgres can reach" : "")
                + ", or reinstall: "
                + INSTALL_HINT);
      }
    } catch (IOException e) {
      throw new IllegalStateException(
          "PostgreSQL test cluster: cannot prepare " + dir + " for initdb (" + e + ")", e);
    } finally {
      try {
        Files.deleteIfExists(pwfile); // the password lives on in this object only
      } catch (IOException e) {
        LOG.debug("cannot delete {}", pwfile, e);
      }
    }
    appendSettings();
  }

  private List<String> initdbArgs(Path pwfile, String locale) {
    return List.of(
        "-D",
        data.toString(),
        "-U",
        SUPERUSER,
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--pwfile=" + pwfile,
        "-E",
        "UTF8",
        "--locale=" + locale,
        "--no-instructions");
  }

  /**
   * The settings go into postgresql.conf rather than onto pg_ctl's command line, so that a restart
   * and a person debugging with {@code pg_ctl start} get the same server; only the port is passed
   * at start, because it is chosen then.
   */
  private void appendSettings() {
    String settings =
        String.join(
            "\n",
            "",
            "# io.editdb.pgtest.PgCluster: a throw-away cluster for tests.",
            "listen_addresses = '" + HOST + "'",
            "unix_socket_directories = '" + dir.toString().replace("'", "''") + "'",
            "unix_socket_permissions = 0700",
            // Names every server process (ps shows "postgres: editdb-pg-...: checkpointer"), so a
            // leftover process says which directory it belonged to.
            "cluster_name = '" + dir.getFileName() + "'",
            "max_connections = 200",
            "shared_buffers = 128MB",
            // Durability on, whatever a default might become: tests crash the server and expect
            // committed rows back.
            "fsync = on",
            "synchronous_commit = on",
            "full_page_writes = on",
            // Application name and database in each log line: tests name their connections.
            "log_line_prefix = '%m [%p] %q%a@%d '",
            "log_timezone = 'UTC'",
            "");
    try {
      Files.writeString(
          data.resolve("postgresql.conf"),
          settings,
          StandardCharsets.UTF_8,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new IllegalStateException(
          "PostgreSQL test cluster: cannot append the test settings to "
              + data.resolve("postgresql.conf")
              + " ("
              + e
              + ")",
          e);
    }
  }

  /**
   * Picks a free port and starts; another process (a parallel test JVM) can take the port between
   * the pick and PostgreSQL's bind, so a bind failure picks again, a few times.
   */
  private synchronized void firstStart() {
    for (int attempt = 1; ; attempt++) {
      port = freePort();
      try {
        startServer();
        return;
      } catch (IllegalStateException e) {
        if (attempt >= PORT_ATTEMPTS || !logTail().contains("could not bind")) {
          throw e;
        }
        LOG.info("port {} was taken before PostgreSQL could bind it; trying another", port);
      }
    }
  }

  private void startServer() {
    Command.Result r =
        pg(
            "pg_ctl",
            List.of(
                "-D",
                data.toString(),
                "-l",
                log.toString(),
                "-w",
                "-t",
                Integer.toString(START_TIMEOUT_S),
                "-o",
                "-p " + port,
                "start"));
    if (r.exit() != 0) {
      throw failure(
          "pg_ctl start",
          r,
          true,
          "read the server log above; \"could not bind\" means port "
              + port
              + " is taken by another process, which must end first");
    }
    running = true;
    postmasterPid = readPostmasterPid(data).orElse(-1L);
    awaitConnections();
  }

  /**
   * pg_ctl -w returns once the server says it is ready; this also waits until a real login over TCP
   * works, which is what every caller does next.
   */
  private void awaitConnections() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      try (Connection c = adminConnection()) {
        return;
      } catch (SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        boolean retry = state.equals("57P03") || state.startsWith("08");
        if (!retry || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "PostgreSQL test cluster: the server on "
                  + HOST
                  + ":"
                  + port
                  + " does not accept a login as "
                  + SUPERUSER
                  + " (SQLState "
                  + state
                  + ": "
                  + e.getMessage()
                  + ")"
                  + logSection()
                  + "\n  fix: read the server log above",
              e);
        }
        sleep(100);
      }
    }
  }

  // ---------------------------------------------------------------- accessors

  /** The TCP port on 127.0.0.1; the same for the cluster's whole life, across restarts. */
  public int port() {
    return port;
  }

  /** Always 127.0.0.1: the server listens nowhere else. */
  public String host() {
    return HOST;
  }

  /** The superuser, {@value #SUPERUSER}; it owns every database here. */
  public String superuser() {
    return SUPERUSER;
  }

  /** The superuser's password: 32 random hex characters, new for each cluster. */
  public String password() {
    return password;
  }

  /** The database made at start, {@value #DATABASE}. */
  public String database() {
    return DATABASE;
  }

  /** {@code jdbc:postgresql://127.0.0.1:<port>/<database>}, without credentials. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
  }

  /**
   * The cluster's data directory, for tests that look at files (the server log lies next to it, in
   * the parent directory, as {@code server.log}).
   */
  public Path dataDirectory() {
    return data;
  }

  /** A new connection as the superuser to {@value #DATABASE}, over TCP with SCRAM. */
  public Connection connect() throws SQLException {
    return connect(DATABASE);
  }

  /** A new connection as the superuser to {@code database}, over TCP with SCRAM. */
  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), credentials());
  }

  private Properties credentials() {
    Properties p = new Properties();
    p.setProperty("user", SUPERUSER);
    p.setProperty("password", password);
    p.setProperty("connectTimeout", "10"); // a test must not hang on a dead server
    return p;
  }

  private Connection adminConnection() throws SQLException {
    Properties p = credentials();
    p.setProperty("ApplicationName", "editdb-pgtest-admin");
    return DriverManager.getConnection(jdbcUrl("postgres"), p);
  }

  // ---------------------------------------------------------------- databases and backends

  /**
   * Creates a new, empty database owned by the superuser and returns its name: {@code prefix}
   * lower-cased, with every character other than a-z, 0-9 and _ made _, then _ and a number new in
   * this cluster. Tests sharing {@link #shared()} each take their own, so they never see each
   * other's tables.
   */
  public String createDatabase(String prefix) {
    String base =
        prefix == null ? "" : prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    if (base.isEmpty() || !Character.isLetter(base.charAt(0)) && base.charAt(0) != '_') {
      base = "db_" + base;
    }
    if (base.length() > 40) {
      base = base.substring(0, 40); // names are at most 63 bytes
    }
    String name = base + "_" + databases.incrementAndGet();
    createDatabaseNamed(name);
    return name;
  }

  private void createDatabaseNamed(String name) {
    checkOpen();
    try (Connection c = adminConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE \"" + name + "\"");
    } catch (SQLException e) {
      throw new IllegalStateException(
          "PostgreSQL test cluster: CREATE DATABASE \""
              + name
              + "\" failed (SQLState "
              + e.getSQLState()
              + ": "
              + e.getMessage()
              + ")"
              + logSection()
              + "\n  fix: is the server running (a test that stopped it must restart() it)?",
          e);
    }
  }

  /**
   * Terminates, as the superuser, every other backend whose application_name matches {@code
   * applicationNameLike} (SQL LIKE), and returns how many. Their clients see SQLState 57P01 or a
   * 08xxx connection error on their next statement: how tests make a database connection die under
   * a running client without touching the server.
   */
  public int terminateBackends(String applicationNameLike) {
    checkOpen();
    try (Connection c = adminConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE application_name LIKE ? AND pid <> pg_backend_pid()")) {
      ps.setString(1, applicationNameLike);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "PostgreSQL test cluster: terminating backends with application_name LIKE '"
              + applicationNameLike
              + "' failed (SQLState "
              + e.getSQLState()
              + ": "
              + e.getMessage()
              + ")"
              + logSection()
              + "\n  fix: is the server running (a test that stopped it must restart() it)?",
          e);
    }
  }

  // ---------------------------------------------------------------- stop, restart, crash

  /**
   * Stops the server cleanly (pg_ctl stop -m fast: open transactions roll back, clients are
   * disconnected, a checkpoint is written). The data stays; {@link #restart()} starts it again.
   */
  public synchronized void stop() {
    checkOpen();
    if (running) {
      stopServer("fast");
    }
  }

  /**
   * Stops the server (fast) if it runs and starts it again on the same port and data, as an
   * operator's restart does under running clients: their connections break, new ones work.
   */
  public synchronized void restart() {
    stopAndStart("fast", "restarted");
  }

  /**
   * Simulates a crash: pg_ctl stop -m immediate (every server process quits at once, no checkpoint,
   * nothing flushed that was not already), then starts again, which runs crash recovery from the
   * WAL. Committed transactions survive, uncommitted ones are gone.
   */
  public synchronized void crash() {
    stopAndStart("immediate", "crashed and recovered");
  }

  /** Stops the server in {@code mode} if it runs, and starts it again on the same port and data. */
  private void stopAndStart(String mode, String what) {
    checkOpen();
    long t0 = System.nanoTime();
    if (running) {
      stopServer(mode);
    }
    startServer();
    LOG.info(
        "PostgreSQL test cluster {} {} in {} ms",
        dir,
        what,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  private void stopServer(String mode) {
    Command.Result r =
        pg(
            "pg_ctl",
            List.of(
                "-D",
                data.toString(),
                "-m",
                mode,
                "-w",
                "-t",
                Integer.toString(START_TIMEOUT_S),
                "stop"));
    if (r.exit() != 0) {
      throw failure(
          "pg_ctl stop -m " + mode,
          r,
          true,
          "read the server log above; the server's processes can be found with: ps -ef | grep "
              + dir.getFileName());
    }
    running = false;
  }

  private void ensureRunning() {
    synchronized (this) {
      if (!running && !closed) {
        LOG.warn("the shared PostgreSQL test cluster was stopped by a test; starting it again");
        startServer();
      }
    }
  }

  // ---------------------------------------------------------------- closing

  /**
   * Stops the server (fast, else immediate, else by killing the postmaster) and deletes its
   * directory. Idempotent. On the {@link #shared()} cluster it does nothing, since other test
   * classes still use it; the shutdown hook closes that one.
   *
   * @throws IllegalStateException if the server could not be stopped or the directory not removed
   */
  @Override
  public void close() {
    if (isShared) {
      LOG.debug(
          "close() on the shared PostgreSQL test cluster ignored; the shutdown hook closes it");
      return;
    }
    closeNow();
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  private synchronized void closeNow() {
    if (closed) {
      return;
    }
    closed = true;
    OPEN.remove(this);
    RuntimeException failure = null;
    if (running || Files.exists(data.resolve("postmaster.pid"))) {
      try {
        stopServer("fast");
      } catch (RuntimeException fast) {
        LOG.warn("fast stop of {} failed; stopping immediately", dir, fast);
        try {
          stopServer("immediate");
        } catch (RuntimeException immediate) {
          // The last resort; a server that died by itself (kill -9) also ends up here, and then
          // there is nothing left to stop and nothing to report.
          long pid = readPostmasterPid(data).orElse(postmasterPid);
          Optional<ProcessHandle> h = ProcessHandle.of(pid);
          h.ifPresent(ProcessHandle::destroyForcibly);
          if (h.isPresent() && !awaitExit(h.get())) {
            failure = immediate;
          }
        }
      }
    }
    running = false;
    try {
      deleteTree(dir);
    } catch (IOException e) {
      IllegalStateException ise =
          new IllegalStateException(
              "PostgreSQL test cluster: cannot delete "
                  + dir
                  + " ("
                  + e
                  + "); fix: delete it by hand once no process uses it",
              e);
      if (failure != null) {
        ise.addSuppressed(failure);
      }
      throw ise;
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static boolean awaitExit(ProcessHandle h) {
    try {
      h.onExit().get(10, TimeUnit.SECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !h.isAlive();
    } catch (ExecutionException | TimeoutException e) {
      return !h.isAlive();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(
          "PostgreSQL test cluster "
              + dir
              + " is closed; fix: start a new one (PgCluster.start())");
    }
  }

  /**
   * One hook for all clusters: a test JVM that ends normally, or by SIGTERM or SIGINT, leaves no
   * postmaster running. A JVM killed with SIGKILL cannot; the next {@link #start()} cleans up.
   */
  private static void addShutdownHook() {
    if (HOOK_ADDED.compareAndSet(false, true)) {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(PgCluster::closeAll, "editdb-pgtest-shutdown"));
    }
  }

  private static void closeAll() {
    for (PgCluster c : List.copyOf(OPEN)) {
      try {
        c.closeNow();
      } catch (RuntimeException e) {
        LOG.warn("closing PostgreSQL test cluster {} at JVM exit failed", c.dir, e);
      }
    }
  }

  /**
   * Best effort, never fails: removes the directories of clusters whose JVM is gone (killed with
   * SIGKILL, so its shutdown hook never ran), stopping their postmaster first if it still runs. A
   * directory without an owner file, or whose owner JVM lives, is left alone: another JVM may be
   * using it right now.
   */
  private static void removeStale(Path base, Path bin, boolean asPostgres) {
    try (Stream<Path> dirs = Files.list(base)) {
      for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith(DIR_PREFIX)).toList()) {
        try {
          if (!Files.isDirectory(d) || ownerAlive(d.resolve(OWNER_FILE))) {
            continue;
          }
          Path data = d.resolve("data");
          Optional<Long> pid = readPostmasterPid(data);
          if (pid.isPresent() && Os.running(pid.get())) {
            Command.Result r =
                Command.run(
                    asPostgres,
                    d,
                    bin.resolve("pg_ctl").toString(),
                    List.of("-D", data.toString(), "-m", "immediate", "-w", "stop"),
                    COMMAND_TIMEOUT);
            if (r.exit() != 0) {
              LOG.debug("cannot stop the stale cluster in {}: {}", d, r.output());
              continue;
            }
          }
          deleteTree(d);
          LOG.info("removed stale PostgreSQL test cluster {}", d);
        } catch (IOException | RuntimeException e) {
          LOG.debug("cannot remove stale {}", d, e);
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot list {}", base, e);
    }
  }

  private static void writeOwner(Path dir) throws IOException {
    ProcessHandle me = ProcessHandle.current();
    long started = me.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    Files.writeString(
        dir.resolve(OWNER_FILE), me.pid() + "\n" + started + "\n", StandardCharsets.UTF_8);
  }

  /** Whether the JVM named in an owner file still runs (pid and start time, against pid reuse). */
  private static boolean ownerAlive(Path ownerFile) throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(ownerFile, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return true; // being created right now, or not ours: leave it
    }
    if (lines.size() < 2) {
      return true;
    }
    long pid;
    long started;
    try {
      pid = Long.parseLong(lines.get(0).trim());
      started = Long.parseLong(lines.get(1).trim());
    } catch (NumberFormatException e) {
      return true;
    }
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty() || !Os.running(pid)) {
      return false;
    }
    Optional<Instant> s = h.get().info().startInstant();
    return s.isEmpty() || started == 0 || Math.abs(s.get().toEpochMilli() - started) < 2000;
  }

  // ---------------------------------------------------------------- helpers

  private Command.Result pg(String tool, List<String> args) {
    return Command.run(asPostgres, dir, bin.resolve(tool).toString(), args, COMMAND_TIMEOUT);
  }

  private IllegalStateException failure(
      String what, Command.Result r, boolean withLog, String fix) {
    return new IllegalStateException(
        "PostgreSQL test cluster: "
            + what
            + " failed (exit "
            + r.exit()
            + ")\n  command: "
            + r.commandLine()
            + "\n  output: "
            + r.output().strip().replace("\n", "\n    ")
            + (withLog ? logSection() : "")
            + "\n  fix: "
            + fix);
  }

  private String logSection() {
    return "\n  server log (last lines of " + log + "):\n    " + logTail().replace("\n", "\n    ");
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join(
          "\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    } catch (IOException e) {
      return "(no server log: " + e + ")";
    }
  }

  private static Optional<Long> readPostmasterPid(Path data) {
    try {
      List<String> lines =
          Files.readAllLines(data.resolve("postmaster.pid"), StandardCharsets.UTF_8);
      return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * Where the cluster directories go: java.io.tmpdir, unless this JVM runs as root and the OS user
   * postgres cannot reach it (a tmpdir under /root), then /tmp.
   */
  private static Path baseDirectory(boolean asPostgres) {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
    if (!asPostgres || Os.othersCanTraverse(tmp)) {
      return tmp;
    }
    Path slashTmp = Path.of("/tmp");
    if (Os.othersCanTraverse(slashTmp)) {
      LOG.warn(
          "java.io.tmpdir {} is not reachable by the OS user postgres; the test cluster goes to /tmp",
          tmp);
      return slashTmp;
    }
    throw new IllegalStateException(
        "PostgreSQL test cluster: neither java.io.tmpdir ("
            + tmp
            + ") nor /tmp can be reached by the OS user postgres, as whom PostgreSQL must run when"
            + " the JVM runs as root; fix: run with -Djava.io.tmpdir=<a directory every user can"
            + " traverse>");
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(
          "PostgreSQL test cluster: cannot find a free TCP port on " + HOST + " (" + e + ")", e);
    }
  }

  private static String randomPassword() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("PostgreSQL test cluster: interrupted while waiting", e);
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.deleteIfExists(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** Running commands, as the OS user postgres when this JVM is root. */
  static final class Command {
    private Command() {}

    record Result(List<String> command, int exit, String output) {
      /** The command as a shell would take it, to paste when reproducing a failure. */
      String commandLine() {
        return String.join(
            " ", command.stream().map(a -> a.contains(" ") ? "'" + a + "'" : a).toList());
      }
    }

    /**
     * Runs one command to its end (or the timeout), stdout and stderr together into a temporary
     * file rather than a pipe: pg_ctl's server inherits nothing from us then, and nothing can block
     * on a full pipe. PG* and locale variables are removed so that the caller's environment (a
     * PGPORT, a LANG without its locale installed) changes nothing.
     */
    static Result run(
        boolean asPostgres, Path workDir, String program, List<String> args, Duration timeout) {
      List<String> cmd = new ArrayList<>();
      if (asPostgres) {
        cmd.addAll(List.of(Os.runuser().toString(), "-u", OS_USER, "--"));
      }
      cmd.add(program);
      cmd.addAll(args);
      Path out = null;
      try {
        out = Files.createTempFile("editdb-pgtest-", ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment()
            .keySet()
            .removeIf(
                k ->
                    k.startsWith("PG")
                        || k.startsWith("LC_")
                        || k.equals("LANG")
                        || k.equals("LANGUAGE"));
        pb.redirectErrorStream(true).redirectOutput(out.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        int exit;
        if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          exit = p.exitValue();
        } else {
          p.destroyForcibly();
          p.waitFor(5, TimeUnit.SECONDS);
          exit = -1;
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        if (exit == -1) {
          output += "\n(timed out after " + timeout.toSeconds() + " s and was killed)";
        }
        return new Result(List.copyOf(cmd), exit, output);
      } catch (IOException e) {
        throw new IllegalStateException(
            "PostgreSQL test cluster: cannot run " + String.join(" ", cmd) + " (" + e + ")", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "PostgreSQL test cluster: interrupted while running " + String.join(" ", cmd), e);
      } finally {
        if (out != null) {
          try {
            Files.deleteIfExists(out);
          } catch (IOException e) {
            LOG.debug("cannot delete {}", out, e);
          }
        }
      }
    }
  }

  /** What PgCluster needs to know about the operating system's users. */
  static final class Os {
    private Os() {}

    /** Whether this process runs as uid 0, which initdb and postgres refuse. */
    static boolean isRoot() {
      try {
        Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        return uid instanceof Integer i && i == 0;
      } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
        return "root".equals(System.getProperty("user.name"));
      }
    }

    static Path runuser() {
      for (String d : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
        Path p = Path.of(d, "runuser");
        if (Files.isExecutable(p)) {
          return p;
        }
      }
      throw new IllegalStateException(
          "PostgreSQL test cluster: this JVM runs as root, where PostgreSQL must run as the OS"
              + " user postgres through runuser, and runuser is missing; fix: install util-linux,"
              + " or run the tests as a user other than root");
    }

    static void checkRunuser(String user) {
      runuser();
      try {
        lookup().lookupPrincipalByName(user);
      } catch (IOException e) {
        throw new IllegalStateException(
            "PostgreSQL test cluster: this JVM runs as root, where PostgreSQL must run as the OS"
                + " user "
                + user
                + ", and there is no such user ("
                + e
                + "); fix: "
                + INSTALL_HINT
                + " (the package creates the user), or run the tests as a user other than root",
            e);
      }
    }

    static void chown(Path p, String user) throws IOException {
      UserPrincipalLookupService l = lookup();
      UserPrincipal u = l.lookupPrincipalByName(user);
      PosixFileAttributeView v = Files.getFileAttributeView(p, PosixFileAttributeView.class);
      v.setOwner(u);
      try {
        GroupPrincipal g = l.lookupPrincipalByGroupName(user);
        v.setGroup(g);
      } catch (IOException e) {
        LOG.debug("no group {}; {} keeps its group", user, p, e);
      }
    }

    /**
     * Whether a process runs: ProcessHandle also reports a zombie (a killed JVM whose parent has
     * not reaped it yet, which under a container's init can be forever) as alive.
     */
    static boolean running(long pid) {
      if (ProcessHandle.of(pid).isEmpty()) {
        return false;
      }
      try {
        String stat =
            Files.readString(
                Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
        int end = stat.lastIndexOf(')'); // the state follows "(command)", which may hold spaces
        return end < 0 || end + 2 >= stat.length() || stat.charAt(end + 2) != 'Z';
      } catch (IOException e) {
        return ProcessHandle.of(pid).isPresent(); // no /proc: trust ProcessHandle
      }
    }

    /** Whether every directory from / to {@code dir} lets any user pass (o+x). */
    static boolean othersCanTraverse(Path dir) {
      try {
        for (Path p = dir.toRealPath(); p != null; p = p.getParent()) {
          if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
            return false;
          }
        }
        return true;
      } catch (IOException | UnsupportedOperationException e) {
        return false;
      }
    }

    private static UserPrincipalLookupService lookup() {
      return Path.of("/").getFileSystem().getUserPrincipalLookupService();
    }
  }
}
