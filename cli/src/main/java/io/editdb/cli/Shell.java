package io.editdb.cli;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code editdb shell [--create] [url] [user] [password]}: sqlline on an EditDB URL. EditDB's
 * statements (CREATE LAYER, ROLLBACK EDIT, VERIFY HISTORY, ...) go through the driver like any
 * other SQL. The connection is tried first, so a wrong URL or password is one line, not sqlline's
 * stack trace; a directory that holds no store is refused unless {@code --create} says to make one
 * (the driver's {@code create} property).
 */
final class Shell {
  private Shell() {}

  static final String DEFAULT_URL = "jdbc:editdb:./editdb-demo";

  static int run(String[] args) throws Exception {
    List<String> positional = new ArrayList<>();
    boolean create = false;
    for (String a : args) {
      if (Main.isHelp(a)) {
        System.out.println(
            """
            editdb shell [--create] [jdbc-url] [user] [password]
              default url jdbc:editdb:./editdb-demo, user demo (the demo store's administrator),
              empty password. A directory that holds no store is refused unless --create is
              given. Type !help for sqlline's commands, !quit to leave.
              Try: SELECT id, layer, prompt, status FROM edits; VERIFY HISTORY;""");
        return 0;
      } else if (a.equals("--create")) {
        create = true;
      } else if (a.startsWith("--")) {
        System.err.println("editdb shell: unknown option " + a + " (editdb shell --help)");
        return 2;
      } else {
        positional.add(a);
      }
    }
    if (positional.size() > 3) {
      System.err.println(
          "editdb shell: at most a URL, a user and a password, got "
              + positional.size()
              + " arguments (editdb shell --help)");
      return 2;
    }
    String url = positional.size() > 0 ? positional.get(0) : DEFAULT_URL;
    String user = positional.size() > 1 ? positional.get(1) : "demo";
    String password = positional.size() > 2 ? positional.get(2) : "";
    // Tried first, so a wrong URL or password is one line, not sqlline's stack trace; a
    // directory without a store is refused (the driver's create=false) unless --create.
    java.util.Properties props = new java.util.Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("create", Boolean.toString(create));
    try (Connection c = DriverManager.getConnection(url, props)) {
      // tried only: sqlline opens its own
    } catch (SQLException e) {
      System.err.println(
          "editdb shell: cannot connect to "
              + url
              + ": "
              + e.getMessage()
              + (create ? "" : " (editdb shell --create makes a new store)"));
      return 1;
    }
    sqlline.SqlLine.main(
        new String[] {
          "-d",
          "io.editdb.driver.EditDbDriver",
          "-u",
          url,
          "-n",
          user,
          "-p",
          password,
          "--maxWidth=200",
          "--isolation=TRANSACTION_READ_COMMITTED"
        });
    return 0;
  }
}
