package io.editdb.store;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;

/**
 * The PostgreSQL logins that EditDB users' SQL runs as on a PostgreSQL store: one per {@link Role},
 * named after the database ({@code editdb_<database>_auditor}, {@code _editor}, {@code _admin}),
 * since PostgreSQL's roles belong to the whole cluster. None is a superuser or may create roles or
 * databases, so PostgreSQL itself refuses them the base tables (they read EditDB's relations
 * through the views of schema {@code editdb}), server files ({@code COPY ... TO/FROM} a file,
 * {@code pg_read_file}), untrusted languages and settings that need a superuser; only the
 * administrators' role may create tables, in schema {@code app}, which it owns.
 *
 * <p>Their passwords are HMAC-SHA256 of the role's name under a 256-bit secret in table {@code
 * node_secret}, which only the store's owner reads: every node derives the same passwords, so a
 * node that opens never locks out the others (on H2 they are new at every open, {@link H2Roles}).
 */
final class PgRoles implements RoleLogins {
  /** Where ordinary tables live. */
  static final String WORK_SCHEMA = "app";

  /** EditDB's read-only views of its relations. */
  static final String VIEW_SCHEMA = "editdb";

  private static final String[] VIEWS = {
    "versions", "layers", "edits", "edit_spans", "edit_history"
  };

  private final StoreConfig.Postgres truth;
  private final DataSource owner;
  private final Map<Role, String> names = new EnumMap<>(Role.class);
  private final Map<Role, String> passwords = new EnumMap<>(Role.class);

  /**
   * Makes (or checks) the three logins and their grants through {@code owner}, the pool of the
   * store's owner, holding an advisory lock so that nodes opening together do not race.
   */
  PgRoles(DataSource owner, StoreConfig.Postgres truth) throws SQLException {
    this.truth = truth;
    this.owner = owner;
    try (Connection c = owner.getConnection();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      try {
        PgTruth.lock(c, PgTruth.ROLES_LOCK);
        String db = single(st, "SELECT current_database()");
        byte[] secret = secret(c);
        for (Role r : Role.values()) {
          String name = roleName(db, r);
          String pw = password(secret, name);
          names.put(r, name);
          passwords.put(r, pw);
          boolean exists;
          try (PreparedStatement ps =
              c.prepareStatement("SELECT COUNT(*) FROM pg_roles WHERE rolname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              exists = rs.getLong(1) > 0;
            }
          }
          // Names are [a-z0-9_] and passwords hex: both safe inside SQL text.
          st.execute(
              (exists ? "ALTER ROLE " : "CREATE ROLE ")
                  + name
                  + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                  + " PASSWORD '"
                  + pw
                  + "'");
        }
        grant(st);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private void grant(Statement st) throws SQLException {
    String admin = names.get(Role.ADMIN);
    String all = String.join(", ", names.values());
    // The owner must be a member of the administrators' role to set its default privileges.
    st.execute("GRANT " + admin + " TO CURRENT_USER");
    st.execute("CREATE SCHEMA IF NOT EXISTS " + WORK_SCHEMA + " AUTHORIZATION " + admin);
    st.execute("GRANT USAGE ON SCHEMA " + VIEW_SCHEMA + " TO " + all);
    for (String v : VIEWS) {
      st.execute("GRANT SELECT ON " + VIEW_SCHEMA + "." + v + " TO " + all);
    }
    st.execute(
        "GRANT SELECT ON " + VIEW_SCHEMA + ".users, " + VIEW_SCHEMA + ".user_history TO " + admin);
    String auditor = names.get(Role.AUDITOR);
    String editor = names.get(Role.EDITOR);
    st.execute("GRANT USAGE ON SCHEMA " + WORK_SCHEMA + " TO " + auditor + ", " + editor);
    // Tables the administrators make in app (now and later): readable by all, writable by editors.
    st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA " + WORK_SCHEMA + " TO " + auditor);
    st.execute(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
            + WORK_SCHEMA
            + " TO "
            + editor);
    String[][] defaults = {
      {"SELECT ON TABLES", auditor},
      {"SELECT, INSERT, UPDATE, DELETE ON TABLES", editor},
      {"USAGE, SELECT ON SEQUENCES", editor}
    };
    for (String[] d : defaults) {
      st.execute(
          "ALTER DEFAULT PRIVILEGES FOR ROLE "
              + admin
              + " IN SCHEMA "
              + WORK_SCHEMA
              + " GRANT "
              + d[0]
              + " TO "
              + d[1]);
    }
  }

  /** The store's secret, made by the first node that opens it. */
  private static byte[] secret(Connection c) throws SQLException {
    byte[] fresh = new byte[32];
    new SecureRandom().nextBytes(fresh);
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO node_secret (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING")) {
      ps.setBytes(1, fresh);
      ps.executeUpdate();
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT secret FROM node_secret WHERE id = 1")) {
      rs.next();
      return rs.getBytes(1);
    }
  }

  /**
   * {@code editdb_<database>_<role>}: lower case letters, digits and '_' only, at most 63. A
   * database name that had to be changed to fit (other characters, or longer than 40) gets 8 hex
   * digits of its SHA-256 too, so two databases never share role logins (roles are the cluster's).
   */
  static String roleName(String database, Role role) {
    String db = database.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    if (!db.equals(database) || db.length() > 40) {
      try {
        byte[] h =
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(database.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        db = db.substring(0, Math.min(db.length(), 40)) + "_" + HexFormat.of().formatHex(h, 0, 4);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("SHA-256 is missing from this JDK", e);
      }
    }
    return "editdb_" + db + "_" + role.name().toLowerCase(Locale.ROOT);
  }

  private static String password(byte[] secret, String role) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return HexFormat.of()
          .formatHex(mac.doFinal(role.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  private static String single(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Override
  public String name(Role role) {
    return names.get(role);
  }

  /**
   * A new connection as {@code role}'s login. Names resolve in schema {@value #VIEW_SCHEMA} first,
   * so a table of an administrator's in {@value #WORK_SCHEMA} can never stand in for EditDB's
   * {@code edits}; each auto-commit statement reads one snapshot, as on H2.
   */
  @Override
  public Connection connect(Role role) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", names.get(role));
    p.setProperty("password", passwords.get(role));
    p.setProperty("ApplicationName", "editdb-user");
    return RoleLogins.prepared(
        DriverManager.getConnection(truth.url(), p),
        st -> {
          try (ResultSet rs =
              st.executeQuery(
                  "SELECT COUNT(*) FROM pg_namespace WHERE nspname = '" + WORK_SCHEMA + "'")) {
            rs.next();
            if (rs.getLong(1) == 0) {
              makeWorkSchema(); // an administrator dropped it: every login needs it back
            }
          }
          st.execute("SET search_path = " + VIEW_SCHEMA + ", " + WORK_SCHEMA);
        });
  }

  /** Schema app again, with its grants, through the owner's pool. */
  private synchronized void makeWorkSchema() throws SQLException {
    try (Connection c = owner.getConnection();
        Statement st = c.createStatement()) {
      grant(st);
    }
  }
}
