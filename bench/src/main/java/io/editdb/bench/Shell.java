package io.editdb.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code editdb shell [url] [user] [password]}: sqlline on an EditDB URL. EditDB's statements
 * (CREATE LAYER, ROLLBACK EDIT, VERIFY HISTORY, ...) go through the driver like any other SQL.
 */
final class Shell {
  private Shell() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.println(
          "editdb shell [jdbc-url] [user] [password]\n  default url"
              + " jdbc:editdb:./editdb-demo, user demo (the demo store's administrator), empty"
              + " password. Type !help for sqlline's commands, !quit to leave.\n  Try: SELECT id,"
              + " layer, prompt, status FROM edits; VERIFY HISTORY;");
      return;
    }
    String url = args.length > 0 ? args[0] : "jdbc:editdb:./editdb-demo";
    String user = args.length > 1 ? args[1] : "demo";
    String password = args.length > 2 ? args[2] : "";
    List<String> a =
        new ArrayList<>(
            List.of(
                "-d",
                "io.editdb.driver.EditDbDriver",
                "-u",
                url,
                "-n",
                user,
                "-p",
                password,
                "--maxWidth=200",
                "--isolation=TRANSACTION_READ_COMMITTED"));
    sqlline.SqlLine.main(a.toArray(String[]::new));
  }
}
