package io.editdb.driver;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * Run in a child JVM by {@link EditDbDriverTest}: connects to the directory given and prints {@code
 * OPENED}, or the SQLState and vendor code of the refusal.
 */
public final class OtherProcess {
  private OtherProcess() {}

  public static void main(String[] args) {
    try (Connection c = DriverManager.getConnection("jdbc:editdb:" + args[0], "ana", "")) {
      System.out.println("OPENED");
    } catch (SQLException e) {
      System.out.println("REFUSED " + e.getSQLState() + " " + e.getErrorCode());
    }
  }
}
