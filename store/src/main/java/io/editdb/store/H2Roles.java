package io.editdb.store;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;
import org.h2.api.ErrorCode;

/**
 * The H2 users that EditDB users' SQL runs as: one per {@link Role}, created with their grants by
 * migration V4 ({@code EDITDB_AUDITOR}, {@code EDITDB_EDITOR}, {@code EDITDB_ADMIN}). None is an H2
 * administrator, so H2 itself refuses them file functions, {@code LINK_SCHEMA}, {@code CREATE
 * ALIAS}, settings and every base table; this class only logs them in.
 *
 * <p>Their passwords are 256 random bits, set anew at every open of the store by its internal
 * administrator and kept only in this object's memory: nothing outside the store's process, and no
 * SQL, can log in as them.
 */
final class H2Roles implements RoleLogins {
  /** Where ordinary tables live (created as {@code APP.name}; found unqualified). */
  static final String WORK_SCHEMA = "APP";

  /** EditDB's read-only views of its relations. */
  static final String VIEW_SCHEMA = "EDITDB";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final DataSource owner;
  private final String url;
  private final Map<Role, String> passwords = new EnumMap<>(Role.class);

  /** Sets fresh passwords through {@code owner}, the pool of the store's administrator. */
  H2Roles(DataSource owner, String userUrl) throws SQLException {
    this.owner = owner;
    this.url = userUrl;
    ensureWorkSchema();
    try (Connection c = owner.getConnection();
        Statement st = c.createStatement()) {
      for (Role r : Role.values()) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String pw = HexFormat.of().formatHex(secret); // hex: safe inside a SQL literal
        st.execute("ALTER USER " + h2User(r) + " SET PASSWORD '" + pw + "'");
        passwords.put(r, pw);
      }
    }
  }

  /**
   * Schema APP belongs to the administrators' H2 user, so an administrator may drop it (with their
   * tables, as DROP TABLE could); the store then makes it again, empty, with its grants.
   */
  private synchronized void ensureWorkSchema() throws SQLException {
    try (Connection c = owner.getConnection();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE SCHEMA IF NOT EXISTS " + WORK_SCHEMA + " AUTHORIZATION " + h2User(Role.ADMIN));
      st.execute("GRANT SELECT ON SCHEMA " + WORK_SCHEMA + " TO " + h2User(Role.AUDITOR));
      for (Role r : new Role[] {Role.EDITOR, Role.ADMIN}) {
        st.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON SCHEMA " + WORK_SCHEMA + " TO " + h2User(r));
      }
    }
  }

  @Override
  public String name(Role role) {
    return h2User(role);
  }

  static String h2User(Role role) {
    return "EDITDB_" + role.name().toUpperCase(Locale.ROOT);
  }

  /**
   * A new connection with only {@code role}'s rights: it reads EditDB's relations through the views
   * of schema {@value #VIEW_SCHEMA}, and ordinary tables live in {@value #WORK_SCHEMA}. The default
   * schema is {@value #VIEW_SCHEMA}: H2 looks a name up in the default schema before the search
   * path, so a table {@code APP.edits} of an administrator's can never stand in for EditDB's {@code
   * edits} in another user's query; new tables are named {@code APP.name}.
   */
  @Override
  public Connection connect(Role role) throws SQLException {
    return RoleLogins.prepared(
        DriverManager.getConnection(url, h2User(role), passwords.get(role)),
        st -> {
          st.execute("SET SCHEMA " + VIEW_SCHEMA);
          try {
            st.execute("SET SCHEMA_SEARCH_PATH " + VIEW_SCHEMA + ", " + WORK_SCHEMA + ", PUBLIC");
          } catch (SQLException e) {
            if (e.getErrorCode() != ErrorCode.SCHEMA_NOT_FOUND_1) {
              throw e;
            }
            ensureWorkSchema(); // an administrator dropped it: every login needs it back
            st.execute("SET SCHEMA_SEARCH_PATH " + VIEW_SCHEMA + ", " + WORK_SCHEMA + ", PUBLIC");
          }
        });
  }
}
