package io.editdb.driver;

import io.editdb.store.EditStore;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;

/**
 * Every row of EditDB's relations and the store's version, hashed: a refused statement must leave
 * this unchanged. Stronger than {@link TestDb#snapshot}, whose counts do not see an {@code UPDATE}
 * that slipped through. Read through the connection under test, so its own uncommitted work counts.
 */
final class StoreFingerprint {
  private static final List<String> RELATIONS =
      List.of(
          "SELECT * FROM layers ORDER BY id",
          "SELECT * FROM versions ORDER BY version",
          "SELECT * FROM edits ORDER BY id",
          "SELECT * FROM edit_spans ORDER BY edit_id, from_version",
          "SELECT * FROM edit_history ORDER BY seq");

  private static final Charset UTF8 = StandardCharsets.UTF_8;

  private StoreFingerprint() {}

  static String of(Connection c) throws SQLException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    md.update(Long.toString(c.unwrap(EditStore.class).latestVersion()).getBytes(UTF8));
    try (Statement st = c.createStatement()) {
      for (String q : RELATIONS) {
        md.update(q.getBytes(UTF8));
        try (ResultSet rs = st.executeQuery(q)) {
          int n = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            for (int i = 1; i <= n; i++) {
              String v = rs.getString(i);
              byte[] b = v == null ? new byte[] {(byte) 0xff} : v.getBytes(UTF8);
              md.update(Integer.toString(b.length).getBytes(UTF8));
              md.update((byte) ':');
              md.update(b);
            }
          }
        }
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
