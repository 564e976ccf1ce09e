package io.editdb.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * The hash chain of {@code user_history} (migration V4): every change of a user or role is a row,
 * written in the same H2 transaction as the change to {@code users}. Each row's {@code hash} is
 * computed as {@link HistoryChain} does (length-prefixed UTF-8 fields under SHA-256) over
 * prev_hash, seq, action, name, role, password_digest, actor, at. {@code password_digest} is the
 * SHA-256 of the stored password hash, so a password changed in {@code users} behind the store's
 * back is caught without the history holding anything a password could be guessed from.
 *
 * <p>Each row names the format of its hash in {@code hash_format} (schema version 9), as {@code
 * edit_history}'s do: {@link HistoryChain#FORMAT} is this construction, and {@link #verify} fails
 * on a row of a format it does not know (see {@link HistoryChain} for why the number need not be
 * hashed).
 *
 * <p>Actions: {@code BASELINE} (a user that existed before the chain did, written once when a store
 * made before V4 first opens), {@code CREATE}, {@code ROLE}, {@code PASSWORD}, {@code DROP}. {@link
 * #verify} replays the rows and compares the users they leave with the table.
 */
final class UserChain {
  private UserChain() {}

  /** One row to append; role and digest are null where the action does not set them. */
  record Row(
      String action,
      String name,
      String role,
      String passwordDigest,
      String actor,
      OffsetDateTime at) {}

  static String digest(String passwordHash) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(passwordHash.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  private static String hash(int format, String prev, long seq, Row r) {
    HistoryChain.requireKnown(format);
    return new HistoryChain()
        .add(prev)
        .add(seq)
        .add(r.action())
        .add(r.name())
        .add(r.role())
        .add(r.passwordDigest())
        .add(r.actor())
        .add(r.at())
        .hex();
  }

  /** Appends {@code row} on {@code c}, inside the caller's transaction. */
  static void append(Connection c, Row row) throws SQLException {
    long seq = 0;
    String prev = HistoryChain.GENESIS;
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT seq, hash FROM user_history ORDER BY seq DESC LIMIT 1")) {
      if (rs.next()) {
        seq = rs.getLong(1);
        prev = rs.getString(2);
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO user_history (seq, action, name,"
                + " role, password_digest, actor, at, prev_hash, hash, hash_format)"
                + " VALUES (?,?,?,?,?,?,?,?,?,?)")) {
      Object[] v = {
        seq + 1,
        row.action(),
        row.name(),
        row.role(),
        row.passwordDigest(),
        row.actor(),
        row.at(),
        prev,
        hash(HistoryChain.FORMAT, prev, seq + 1, row),
        HistoryChain.FORMAT
      };
      for (int i = 0; i < v.length; i++) {
        ps.setObject(i + 1, v[i]);
      }
      ps.executeUpdate();
    }
  }

  /**
   * Checks the chain, replays it and compares the users it leaves (name, role, password digest)
   * with the {@code users} table. {@code checked} is the count of edit history rows checked before,
   * carried into the result.
   */
  static HistoryCheck verify(Connection c, long checked) throws SQLException {
    Map<String, String[]> replayed = new HashMap<>(); // name -> {role, digest}
    String prev = HistoryChain.GENESIS;
    long expected = 1;
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT seq, action, name, role, password_digest, actor,"
                    + " at, prev_hash, hash, hash_format FROM user_history ORDER BY seq")) {
      while (rs.next()) {
        long seq = rs.getLong(1);
        Row r =
            new Row(
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                rs.getObject(7, OffsetDateTime.class));
        int format = rs.getInt(10);
        String problem = null;
        if (seq != expected) {
          problem = "sequence gap: expected seq " + expected + ", found " + seq;
        } else if (!HistoryChain.knows(format)) {
          problem = HistoryChain.unknownFormat(format); // never passed unchecked
        } else if (!prev.equals(rs.getString(8))) {
          problem = "prev_hash does not match the hash of the row before";
        } else if (!hash(format, prev, seq, r).equals(rs.getString(9))) {
          problem = "row content does not match its hash";
        } else {
          problem = replay(replayed, r);
        }
        if (problem != null) {
          return new HistoryCheck(false, checked, null, "user_history seq " + seq + ": " + problem);
        }
        prev = rs.getString(9);
        expected++;
      }
    }
    int seen = 0;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT name, role, password_hash FROM users")) {
      while (rs.next()) {
        String name = rs.getString(1);
        String[] want = replayed.get(name);
        seen++;
        if (want == null) {
          return usersBad(
              checked, "user '" + name + "' is in users but user_history never" + " created it");
        }
        if (!want[0].equals(rs.getString(2))) {
          return usersBad(
              checked,
              "user '"
                  + name
                  + "' has role "
                  + rs.getString(2)
                  + " but user_history gives "
                  + want[0]);
        }
        if (!want[1].equals(digest(rs.getString(3)))) {
          return usersBad(
              checked,
              "the password hash of user '" + name + "' is not the one" + " user_history recorded");
        }
      }
    }
    if (seen != replayed.size()) {
      return usersBad(
          checked,
          "user_history leaves "
              + replayed.size()
              + " users but the users"
              + " table holds "
              + seen);
    }
    return new HistoryCheck(true, checked, null, null);
  }

  private static String replay(Map<String, String[]> users, Row r) {
    String[] u = users.get(r.name());
    switch (r.action()) {
      case "BASELINE", "CREATE" -> {
        if (u != null) {
          return "user '" + r.name() + "' is created twice";
        }
        users.put(
            r.name(),
            new String[] {
              Objects.requireNonNullElse(r.role(), "?"),
              Objects.requireNonNullElse(r.passwordDigest(), "?")
            });
        return null;
      }
      default -> {
        if (u == null) {
          return r.action() + " of user '" + r.name() + "', which does not exist then";
        }
        switch (r.action()) {
          case "ROLE" -> u[0] = r.role();
          case "PASSWORD" -> u[1] = r.passwordDigest();
          default -> users.remove(r.name());
        }
        return null;
      }
    }
  }

  private static HistoryCheck usersBad(long checked, String problem) {
    return new HistoryCheck(false, checked, null, problem);
  }
}
