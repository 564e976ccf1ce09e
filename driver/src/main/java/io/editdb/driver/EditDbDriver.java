package io.editdb.driver;

import io.editdb.store.StoreConfig;
import io.editdb.store.StoreException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Locale;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * The EditDB JDBC driver: SQL for a store of model edits. Registered through the service loader, so
 * {@code DriverManager} finds it by URL:
 *
 * <ul>
 *   <li>{@code jdbc:editdb:<directory>}: a store in a directory, created if missing ({@code ~} is
 *       the home directory);
 *   <li>{@code jdbc:editdb:mem:<name>}: a store in memory, gone when its last connection closes.
 * </ul>
 *
 * <pre>{@code
 * try (Connection c = DriverManager.getConnection("jdbc:editdb:/data/edits", "ana", "")) {
 *   Statement st = c.createStatement();
 *   st.execute("CREATE LAYER l21 (MODEL 'llava-1.5-7b', MODULE 'model.layers.21',"
 *       + " D_IN 4096, D_OUT 4096, VISUAL_DIM 1024, TEXT_DIM 384)");
 *   st.executeUpdate("ROLLBACK EDIT 42 REASON 'wrong colour'");
 *   try (ResultSet rs = st.executeQuery("SELECT id, prompt FROM EDITS_AT(7)")) { ... }
 * }
 * }</pre>
 *
 * Standard SQL goes to the store's embedded H2 database; EditDB's own statements (CREATE LAYER,
 * INSERT INTO edits, ROLLBACK EDIT, ROLLBACK EDITS WHERE, ROLLBACK TO VERSION, RESTORE EDIT, VERIFY
 * HISTORY) go to the store. Connections of one JVM to one location share one open store; another
 * process gets {@link ErrorCode#STORE_IN_USE} while it is open. The connection's user is the actor
 * recorded in the history and the default author of edits.
 *
 * <p>Connection properties: {@code user}, {@code password} (checked against the store's users; the
 * first user of a store without users becomes its administrator), {@value #SQL_GUARD}, {@value
 * #CREATE} (default true; false refuses a directory without a store) and {@value #POOL_SIZE} (H2
 * connections the store pools, default {@value #DEFAULT_POOL_SIZE}, 2 to 256; each open connection
 * holds one, so it bounds the connections one store serves at a time; the first connection to a
 * store decides it).
 */
public final class EditDbDriver implements Driver {
  /** Every EditDB URL starts with this. */
  public static final String URL_PREFIX = "jdbc:editdb:";

  /** The connection property for the store's H2 pool size. */
  public static final String POOL_SIZE = "poolSize";

  /**
   * The connection property that turns the driver's friendly SQL pre-check off ({@code
   * sqlGuard=false}). Safety never depends on it: H2's grants refuse the same statements, only with
   * H2's terser messages.
   */
  public static final String SQL_GUARD = "sqlGuard";

  /**
   * The connection property that says whether a directory without a store may become a new, empty
   * store ({@code create=true}, the default) or is refused ({@code create=false}), so that a
   * mistyped path is an error rather than a new store. {@code editdb shell} connects with false
   * unless told {@code --create}.
   */
  public static final String CREATE = "create";

  /**
   * The PostgreSQL login of a PostgreSQL store's owner (not an EditDB user): the user that owns
   * EditDB's tables there.
   */
  public static final String PG_USER = "pgUser";

  /** The password of {@link #PG_USER}. */
  public static final String PG_PASSWORD = "pgPassword";

  static final int DEFAULT_POOL_SIZE = 64;

  /** Each node of a PostgreSQL store holds this many of the server's connections by default. */
  static final int DEFAULT_SHARED_POOL_SIZE = 16;

  static final String NAME = "EditDB";
  static final String VERSION = "0.1.0";
  static final int MAJOR_VERSION = 0;
  static final int MINOR_VERSION = 1;

  static {
    try {
      DriverManager.registerDriver(new EditDbDriver());
    } catch (SQLException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Opens a connection, or returns null for a URL that is not EditDB's (JDBC's rule). */
  @Override
  public Connection connect(String url, Properties info) throws SQLException {
    if (!acceptsURL(url)) {
      return null;
    }
    Properties p = info == null ? new Properties() : info;
    StoreConfig config = config(url, p);
    String guard = p.getProperty(SQL_GUARD, "true").trim();
    if (!guard.equalsIgnoreCase("true") && !guard.equalsIgnoreCase("false")) {
      throw ErrorCode.INVALID_VALUE.exception(
          SQL_GUARD + " must be true or false; " + SQL_GUARD + "=" + guard);
    }
    StoreRegistry.Handle handle = StoreRegistry.INSTANCE.acquire(config);
    return EditDbConnection.open(
        url,
        p.getProperty("user"),
        p.getProperty("password"),
        handle,
        !guard.equalsIgnoreCase("false"));
  }

  @Override
  public boolean acceptsURL(String url) {
    return url != null && url.regionMatches(true, 0, URL_PREFIX, 0, URL_PREFIX.length());
  }

  /**
   * A store whose truth is PostgreSQL: {@code jdbc:editdb:postgresql://host:port/database?index=
   * <directory>}, with the login of the store's owner in the properties {@value #PG_USER} and
   * {@value #PG_PASSWORD} (or the URL's parameters of those names). The connection's own user and
   * password are the EditDB user's, as on H2.
   */
  private static StoreConfig postgres(String url, String rest, Properties info)
      throws SQLException {
    int q = rest.indexOf('?');
    String base = "jdbc:" + (q < 0 ? rest : rest.substring(0, q));
    java.util.Map<String, String> params = new java.util.LinkedHashMap<>();
    if (q >= 0) {
      for (String kv : rest.substring(q + 1).split("&")) {
        int eq = kv.indexOf('=');
        String k = eq < 0 ? kv : kv.substring(0, eq);
        String v = eq < 0 ? "" : kv.substring(eq + 1);
        if (!java.util.Set.of("index", PG_USER, PG_PASSWORD).contains(k)) {
          throw ErrorCode.INVALID_URL.exception(
              "the URL "
                  + url
                  + " has the parameter '"
                  + k
                  + "', which EditDB does not know; a PostgreSQL store's URL takes index, "
                  + PG_USER
                  + " and "
                  + PG_PASSWORD);
        }
        params.put(k, java.net.URLDecoder.decode(v, java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    String index = params.get("index");
    if (index == null || index.isBlank()) {
      throw ErrorCode.INVALID_URL.exception(
          "the URL "
              + url
              + " names no index directory; a PostgreSQL store keeps its key index on each node:"
              + " add ?index=<local directory>, one per node");
    }
    String user = info.getProperty(PG_USER, params.get(PG_USER));
    String password = info.getProperty(PG_PASSWORD, params.get(PG_PASSWORD));
    if (user == null || user.isBlank()) {
      throw ErrorCode.INVALID_URL.exception(
          "the URL "
              + url
              + " gives no PostgreSQL login for the store's owner; set the property "
              + PG_USER
              + " (and "
              + PG_PASSWORD
              + "), the PostgreSQL user that owns EditDB's tables");
    }
    if (index.equals("~") || index.startsWith("~/")) {
      index = System.getProperty("user.home") + index.substring(1);
    }
    return StoreConfig.postgres(base, user, password, Path.of(index));
  }

  /** The store configuration a URL and its properties describe. */
  static StoreConfig config(String url, Properties info) throws SQLException {
    String rest = url.substring(URL_PREFIX.length());
    StoreConfig config;
    try {
      if (rest.regionMatches(true, 0, "mem:", 0, 4)) {
        config = StoreConfig.inMemory(rest.substring(4));
      } else if (rest.regionMatches(true, 0, "postgresql:", 0, 11)) {
        config = postgres(url, rest, info);
      } else {
        if (rest.regionMatches(true, 0, "file:", 0, 5)) {
          rest = rest.substring(5);
        }
        if (rest.isBlank()) {
          throw ErrorCode.INVALID_URL.exception(
              "the URL "
                  + url
                  + " names no store; use"
                  + " jdbc:editdb:<directory> or jdbc:editdb:mem:<name>");
        }
        if (rest.equals("~") || rest.startsWith("~/")) {
          rest = System.getProperty("user.home") + rest.substring(1);
        }
        config = StoreConfig.directory(Path.of(rest));
      }
    } catch (StoreException | InvalidPathException e) {
      throw ErrorCode.INVALID_URL.exception(
          "the URL "
              + url
              + " is not usable: "
              + e.getMessage()
              + ". Use jdbc:editdb:<directory>, jdbc:editdb:mem:<name> (letters,"
              + " digits, '_', '.', '-') or"
              + " jdbc:editdb:postgresql://<host>:<port>/<database>?index=<directory>",
          e);
    }
    String create = info.getProperty(CREATE, "true").trim();
    if (!create.equalsIgnoreCase("true") && !create.equalsIgnoreCase("false")) {
      throw ErrorCode.INVALID_VALUE.exception(
          CREATE + " must be true or false; " + CREATE + "=" + create);
    }
    if (create.equalsIgnoreCase("false") && !config.exists()) {
      throw ErrorCode.INVALID_URL.exception(
          "no EditDB store in "
              + config.directory().toAbsolutePath().normalize()
              + "; check the path, or connect with "
              + CREATE
              + "=true to make a new, empty store there");
    }
    String pool = info.getProperty(POOL_SIZE);
    int defaultPool = config.shared() ? DEFAULT_SHARED_POOL_SIZE : DEFAULT_POOL_SIZE;
    try {
      return config.optPoolSize(pool == null ? defaultPool : Integer.parseInt(pool.trim()));
    } catch (NumberFormatException e) {
      throw ErrorCode.INVALID_VALUE.exception(
          POOL_SIZE + " must be an integer; " + POOL_SIZE + "=" + pool);
    } catch (StoreException e) {
      throw Errors.of(e);
    }
  }

  @Override
  public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
    Properties p = info == null ? new Properties() : info;
    DriverPropertyInfo user = new DriverPropertyInfo("user", p.getProperty("user"));
    user.description =
        "the user: the actor recorded in the history and the default author of edits; the first"
            + " user of a new store is its administrator";
    DriverPropertyInfo password = new DriverPropertyInfo("password", null);
    password.description = "the user's password (empty by default)";
    DriverPropertyInfo pool =
        new DriverPropertyInfo(
            POOL_SIZE, p.getProperty(POOL_SIZE, Integer.toString(DEFAULT_POOL_SIZE)));
    pool.description =
        "H2 connections the store pools (2 to 256); the first connection to a" + " store decides";
    DriverPropertyInfo guard = new DriverPropertyInfo(SQL_GUARD, p.getProperty(SQL_GUARD, "true"));
    guard.description =
        "true: standard SQL is pre-checked for clear messages before H2's grants refuse it;"
            + " false: H2's grants alone (equally safe)";
    guard.choices = new String[] {"true", "false"};
    DriverPropertyInfo create = new DriverPropertyInfo(CREATE, p.getProperty(CREATE, "true"));
    create.description =
        "true: a directory without a store becomes a new, empty store; false: it is refused, so a"
            + " mistyped path is an error";
    create.choices = new String[] {"true", "false"};
    return new DriverPropertyInfo[] {user, password, pool, guard, create};
  }

  @Override
  public int getMajorVersion() {
    return MAJOR_VERSION;
  }

  @Override
  public int getMinorVersion() {
    return MINOR_VERSION;
  }

  /** False: EditDB passes SQL to H2, which is not a full SQL-92 entry-level implementation. */
  @Override
  public boolean jdbcCompliant() {
    return false;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw Errors.unsupported("getParentLogger (EditDB logs through SLF4J)");
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s JDBC driver %s", NAME, VERSION);
  }
}
