package io.editdb.driver;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} for EditDB, for pools, templates and containers that configure data sources
 * as beans.
 *
 * <pre>{@code
 * EditDbDataSource ds = new EditDbDataSource();
 * ds.setUrl("jdbc:editdb:/data/edits");
 * ds.setUser("ana");
 * try (Connection c = ds.getConnection()) { ... }
 *
 * HikariConfig hc = new HikariConfig();
 * hc.setDataSource(ds); // or hc.setJdbcUrl("jdbc:editdb:/data/edits")
 * }</pre>
 *
 * Every connection is a new {@link EditDbDriver} connection; connections to one location share its
 * open store. An in-memory store lives while one of its connections is open, so keep one open (a
 * pool does) between uses.
 */
public class EditDbDataSource implements DataSource {
  private final EditDbDriver driver = new EditDbDriver();
  private String url;
  private String user;
  private String password;
  private Integer poolSize;
  private int loginTimeout;
  private PrintWriter logWriter;

  public String getUrl() {
    return url;
  }

  /** {@code jdbc:editdb:<directory>} or {@code jdbc:editdb:mem:<name>}. */
  public void setUrl(String url) {
    this.url = url;
  }

  /** The same as {@link #getUrl()}, for tools that spell the bean property URL. */
  public String getURL() {
    return url;
  }

  public void setURL(String url) {
    this.url = url;
  }

  public String getUser() {
    return user;
  }

  /** The actor recorded in the history and the default author of edits. */
  public void setUser(String user) {
    this.user = user;
  }

  public String getPassword() {
    return password;
  }

  /** Checked at every connection against the store's users (README, "Users and roles"). */
  public void setPassword(String password) {
    this.password = password;
  }

  public Integer getPoolSize() {
    return poolSize;
  }

  /** See {@link EditDbDriver#POOL_SIZE}; null for the default. */
  public void setPoolSize(Integer poolSize) {
    this.poolSize = poolSize;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return getConnection(user, password);
  }

  @Override
  public Connection getConnection(String username, String pass) throws SQLException {
    if (url == null) {
      throw ErrorCode.INVALID_URL.exception(
          "the data source has no URL; call setUrl with"
              + " jdbc:editdb:<directory> or jdbc:editdb:mem:<name>");
    }
    Properties p = new Properties();
    if (username != null) {
      p.setProperty("user", username);
    }
    if (pass != null) {
      p.setProperty("password", pass);
    }
    if (poolSize != null) {
      p.setProperty(EditDbDriver.POOL_SIZE, poolSize.toString());
    }
    Connection c = driver.connect(url, p);
    if (c == null) {
      throw ErrorCode.INVALID_URL.exception(
          "the URL "
              + url
              + " is not an EditDB URL; use"
              + " jdbc:editdb:<directory> or jdbc:editdb:mem:<name>");
    }
    return c;
  }

  @Override
  public PrintWriter getLogWriter() {
    return logWriter;
  }

  @Override
  public void setLogWriter(PrintWriter out) {
    logWriter = out;
  }

  /** Kept for tools; an embedded store does not wait on a network to log in. */
  @Override
  public void setLoginTimeout(int seconds) {
    loginTimeout = seconds;
  }

  @Override
  public int getLoginTimeout() {
    return loginTimeout;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw Errors.unsupported("getParentLogger (EditDB logs through SLF4J)");
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw ErrorCode.INVALID_VALUE.exception(
        "an EditDbDataSource unwraps only to itself, not " + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }

  @Override
  public String toString() {
    return "EditDbDataSource{url=" + url + ", user=" + user + ", poolSize=" + poolSize + "}";
  }
}
