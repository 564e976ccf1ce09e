package io.editdb.store;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.sql.DataSource;

/**
 * A store's users, their roles and password hashes (table {@code users}, migration V3). The first
 * user to log in to a store without users becomes its administrator, so embedded single-user use
 * needs no setup.
 *
 * <pre>{@code
 * Users users = store.users();
 * Role me = users.login("ana", "");                     // first login: ana is ADMIN
 * users.create("ana", "eve", "s3cret", Role.AUDITOR);
 * users.login("eve", "wrong");                          // StoreException, kind AUTHENTICATION
 * }</pre>
 *
 * <p>Passwords are never stored: a non-empty password is kept as a salted PBKDF2-HMAC-SHA256 hash
 * of {@link #ITERATIONS} iterations (format in the migration). An empty password protects nothing,
 * so it is stored as {@code none} rather than hashed. The hash is deliberately slow; a login that
 * succeeded is remembered in memory by a fast digest of (stored hash, password), so a pool opening
 * many connections pays the slow hash once. Role changes and dropped users take effect on the next
 * statement of every open connection ({@link #role(String)}).
 *
 * <p>Authorisation (who may call what) is the driver's: the Java API of an in-process store is
 * trusted code.
 */
public final class Users {
  /** PBKDF2 iterations for new hashes (OWASP's 2023 figure for PBKDF2-HMAC-SHA256). */
  static final int ITERATIONS = 600_000;

  /** Longest user name. */
  static final int MAX_NAME = 128;

  /** Longest password. */
  static final int MAX_PASSWORD = 1024;

  /** The actor of a connection that gave no user name. */
  static final String ANONYMOUS = "anonymous";

  private static final String NO_PASSWORD = "none";
  private static final String SCHEME = "pbkdf2-sha256";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final DataSource pool;
  private final String location;
  private final Map<String, Role> roles = new ConcurrentHashMap<>();
  private final Map<String, String> hashes = new ConcurrentHashMap<>();
  private final Map<String, byte[]> verified = new ConcurrentHashMap<>();
  private final boolean shared;
  // The user chain's length when the maps were read.
  private volatile long loadedSeq;

  Users(DataSource pool, String location, boolean shared) {
    this.pool = pool;
    this.location = location;
    this.shared = shared;
    try (Connection c = pool.getConnection()) {
      load(c);
    } catch (SQLException e) {
      throw failure("reading users", e);
    }
    baseline();
  }

  private void load(Connection c) throws SQLException {
    long seq = chainLength(c); // first: a change after it only makes the next refresh read again
    try (PreparedStatement ps = c.prepareStatement("SELECT name, role, password_hash FROM users");
        ResultSet rs = ps.executeQuery()) {
      java.util.Set<String> seen = new java.util.HashSet<>();
      while (rs.next()) {
        String name = rs.getString(1);
        seen.add(name);
        roles.put(name, Role.valueOf(rs.getString(2)));
        if (!rs.getString(3).equals(hashes.put(name, rs.getString(3)))) {
          verified.remove(name);
        }
      }
      roles.keySet().retainAll(seen);
      hashes.keySet().retainAll(seen);
      verified.keySet().retainAll(seen);
    }
    loadedSeq = seq;
  }

  private static long chainLength(Connection c) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM user_history");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * On a shared truth, reads the users again if another node changed them (the user chain grew):
   * logins, roles and dropped users then take effect on this node too.
   */
  synchronized void refresh(Connection c) throws SQLException {
    if (chainLength(c) != loadedSeq) {
      load(c);
    }
  }

  /** A store made before the user chain existed: record its users once, as they are. */
  private void baseline() {
    if (roles.isEmpty()) {
      return;
    }
    change(
        "recording the users in user_history",
        c -> {
          try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM user_history");
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (rs.getLong(1) > 0) {
              return;
            }
          }
          for (String name : new java.util.TreeSet<>(roles.keySet())) {
            UserChain.append(
                c,
                new UserChain.Row(
                    "BASELINE",
                    name,
                    roles.get(name).name(),
                    UserChain.digest(hashes.get(name)),
                    "editdb",
                    EditStore.now()));
          }
        });
  }

  /** The name a connection acts as: {@link #ANONYMOUS} when it gave none. */
  static String actorName(String user) {
    return user == null || user.isBlank() ? ANONYMOUS : user;
  }

  /**
   * Checks a user's password and returns the user's role. On a store without users, the first login
   * creates that user as its {@link Role#ADMIN} with the password given.
   *
   * @throws StoreException of kind AUTHENTICATION if the user is unknown or the password wrong (the
   *     message does not say which)
   */
  public synchronized Role login(String user, String password) {
    String name = actorName(user);
    String pw = password == null ? "" : password;
    if (roles.isEmpty()) {
      insert(name, checkName(name), pw, Role.ADMIN);
      return Role.ADMIN;
    }
    String stored = hashes.get(name);
    if (stored == null && shared) {
      // Another node may have created the user since this one last followed: read again.
      try (Connection c = pool.getConnection()) {
        load(c);
      } catch (SQLException e) {
        throw failure("reading users", e);
      }
      stored = hashes.get(name);
    }
    if (stored == null || !matches(name, stored, pw)) {
      throw new StoreException(
          StoreException.Kind.AUTHENTICATION,
          "login refused for user '"
              + name
              + "' on "
              + location
              + ": unknown user or wrong password; an administrator creates users with CREATE"
              + " USER <name> PASSWORD '<password>' ROLE ADMIN|EDITOR|AUDITOR");
    }
    return roles.get(name);
  }

  /** The user's current role, empty if there is no such user (any more). */
  public Optional<Role> role(String user) {
    return Optional.ofNullable(roles.get(actorName(user)));
  }

  /** Creates a user; {@code by} is recorded as its creator. */
  public synchronized void create(String by, String user, String password, Role role) {
    String name = checkName(user);
    if (roles.containsKey(name)) {
      throw new StoreException(
          StoreException.Kind.DUPLICATE_USER,
          "user '" + name + "' exists already; change it with ALTER USER or pick another name");
    }
    insert(actorName(by), name, password == null ? "" : password, checkRole(role));
  }

  /**
   * Sets a user's own password. Nobody sets another user's, administrators included: an
   * administrator who must reset one drops the user and creates it again, which the user chain
   * records as such.
   */
  public synchronized void changePassword(String by, String user, String password) {
    String name = existing(user);
    if (!name.equals(actorName(by))) {
      throw new StoreException(
          StoreException.Kind.NOT_ALLOWED,
          actorName(by)
              + " may not set the password of '"
              + name
              + "'; users set only their own"
              + " (ALTER USER "
              + actorName(by)
              + " SET PASSWORD ...). To reset it, DROP USER "
              + name
              + " and CREATE USER it again");
    }
    String hash = hash(checkPassword(password == null ? "" : password));
    update(by, name, "password_hash", hash);
    hashes.put(name, hash);
    verified.remove(name);
  }

  /** Sets a user's role; the store always keeps at least one administrator. */
  public synchronized void changeRole(String by, String user, Role role) {
    String name = existing(user);
    Role r = checkRole(role);
    if (r != Role.ADMIN) {
      keepAnAdministrator(name, "making '" + name + "' " + r);
    }
    update(by, name, "role", r.name());
    roles.put(name, r);
  }

  /** Removes a user; its history rows keep its name. */
  public synchronized void drop(String by, String user) {
    String name = existing(user);
    keepAnAdministrator(name, "dropping '" + name + "'");
    change(
        "dropping user " + name,
        c -> {
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM users WHERE name = ?")) {
            ps.setString(1, name);
            ps.executeUpdate();
          }
          UserChain.append(
              c, new UserChain.Row("DROP", name, null, null, actorName(by), EditStore.now()));
        });
    roles.remove(name);
    hashes.remove(name);
    verified.remove(name);
  }

  /** Number of users. */
  public int count() {
    return roles.size();
  }

  // ---- rules ----

  private static String checkName(String user) {
    if (user == null || user.isBlank()) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE, "a user name must not be empty; give a name");
    }
    if (user.length() > MAX_NAME
        || user.codePoints().anyMatch(cp -> Character.isISOControl(cp))
        || !user.strip().equals(user)) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "a user name has at most "
              + MAX_NAME
              + " characters, no control characters and no leading or trailing spaces; name='"
              + (user.length() > 40 ? user.substring(0, 40) + "..." : user)
              + "' ("
              + user.length()
              + " characters)");
    }
    return user;
  }

  private static String checkPassword(String pw) {
    if (pw.length() > MAX_PASSWORD) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE,
          "a password has at most " + MAX_PASSWORD + " characters; this one has " + pw.length());
    }
    return pw;
  }

  private static Role checkRole(Role role) {
    if (role == null) {
      throw new StoreException(
          StoreException.Kind.INVALID_VALUE, "a user needs a role: ADMIN, EDITOR or AUDITOR");
    }
    return role;
  }

  private String existing(String user) {
    String name = actorName(user);
    if (!roles.containsKey(name)) {
      throw new StoreException(
          StoreException.Kind.UNKNOWN_USER,
          "no user '" + name + "' in this store; create it with CREATE USER first");
    }
    return name;
  }

  private void keepAnAdministrator(String name, String what) {
    boolean lastAdmin =
        roles.get(name) == Role.ADMIN
            && roles.values().stream().filter(r -> r == Role.ADMIN).count() == 1;
    if (lastAdmin) {
      throw new StoreException(
          StoreException.Kind.WRONG_STATE,
          what
              + " would leave the store without an administrator; make another user ADMIN"
              + " first");
    }
  }

  // ---- H2 ----

  private void insert(String by, String name, String pw, Role role) {
    String hash = hash(checkPassword(pw));
    OffsetDateTime now = EditStore.now();
    change(
        "creating user " + name,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO users (name, role, password_hash, created_at, created_by)"
                      + " VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, name);
            ps.setString(2, role.name());
            ps.setString(3, hash);
            ps.setObject(4, now);
            ps.setString(5, by);
            ps.executeUpdate();
          }
          UserChain.append(
              c, new UserChain.Row("CREATE", name, role.name(), UserChain.digest(hash), by, now));
        });
    roles.put(name, role);
    hashes.put(name, hash);
  }

  private void update(String by, String name, String column, String value) {
    OffsetDateTime now = EditStore.now();
    boolean role = column.equals("role");
    change(
        "changing user " + name,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE users SET "
                      + column
                      + " = ?, changed_at = ?, changed_by = ? WHERE name = ?")) {
            ps.setString(1, value);
            ps.setObject(2, now);
            ps.setString(3, actorName(by));
            ps.setString(4, name);
            ps.executeUpdate();
          }
          UserChain.append(
              c,
              new UserChain.Row(
                  role ? "ROLE" : "PASSWORD",
                  name,
                  role ? value : null,
                  role ? null : UserChain.digest(value),
                  actorName(by),
                  now));
        });
  }

  private interface Change {
    void run(Connection c) throws SQLException;
  }

  /** Runs a change of users and its user_history row as one H2 transaction. */
  private void change(String what, Change work) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        if (shared) {
          // Nodes change users one at a time, so the user chain stays one chain.
          PgTruth.lock(c, PgTruth.USERS_LOCK);
        }
        work.run(c);
        if (shared) {
          PgTruth.notifyUsersChanged(c); // other nodes read the users again at once
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw failure(what, e);
    }
  }

  private StoreException failure(String what, SQLException e) {
    return new StoreException(
        StoreException.Kind.UNAVAILABLE, what + " in " + location + " failed: " + e, e);
  }

  // ---- hashing ----

  private boolean matches(String name, String stored, String pw) {
    if (stored.equals(NO_PASSWORD)) {
      return pw.isEmpty();
    }
    byte[] fast = sha256(stored + '\0' + pw);
    byte[] known = verified.get(name);
    if (known != null && MessageDigest.isEqual(known, fast)) {
      return true;
    }
    String[] parts = stored.split("\\$");
    if (parts.length != 4 || !parts[0].equals(SCHEME)) {
      throw new StoreException(
          StoreException.Kind.UNAVAILABLE,
          "the password hash of user '"
              + name
              + "' has an unknown format; reset it with ALTER"
              + " USER "
              + name
              + " PASSWORD '...'");
    }
    Base64.Decoder b64 = Base64.getDecoder();
    byte[] expected = b64.decode(parts[3]);
    byte[] actual = pbkdf2(pw, b64.decode(parts[2]), Integer.parseInt(parts[1]));
    boolean ok = MessageDigest.isEqual(expected, actual);
    if (ok) {
      verified.put(name, fast);
    }
    return ok;
  }

  private static String hash(String pw) {
    if (pw.isEmpty()) {
      return NO_PASSWORD;
    }
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    Base64.Encoder b64 = Base64.getEncoder();
    return SCHEME
        + '$'
        + ITERATIONS
        + '$'
        + b64.encodeToString(salt)
        + '$'
        + b64.encodeToString(pbkdf2(pw, salt, ITERATIONS));
  }

  private static byte[] pbkdf2(String pw, byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(pw.toCharArray(), salt, iterations, 256);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
    } finally {
      spec.clearPassword();
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
