package io.editdb.driver;

import static io.editdb.driver.TestDb.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.store.StoreSession;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import org.junit.jupiter.api.Test;

class EditDbDataSourceTest {

  @Test
  void connectionsCarryTheUser() throws SQLException {
    EditDbDataSource ds = new EditDbDataSource();
    ds.setUrl(TestDb.memUrl("ds"));
    ds.setUser("carla");
    ds.setPassword("secret");
    ds.setPoolSize(8);
    assertEquals(ds.getUrl(), ds.getURL());
    try (Connection c = ds.getConnection()) {
      assertEquals("carla", c.unwrap(StoreSession.class).actor());
      assertEquals("carla", c.getMetaData().getUserName());
      assertTrue(c.isValid(1));
      c.createStatement().execute("CREATE USER dan ROLE EDITOR"); // no password: the empty one
      try (Connection d = ds.getConnection("dan", null)) {
        assertEquals("dan", d.getMetaData().getUserName());
        // a session writes with the store's own rights: an administrator's object only
        assertEquals(
            "42501",
            assertThrows(SQLException.class, () -> d.unwrap(StoreSession.class)).getSQLState());
      }
    }
    assertEquals(
        "EditDbDataSource{url=" + ds.getUrl() + ", user=carla, poolSize=8}",
        ds.toString()); // the whole configuration, never the password
  }

  @Test
  void aDataSourceWithoutAUrlSaysWhatToSet() {
    EditDbDataSource ds = new EditDbDataSource();
    assertError(ErrorCode.INVALID_URL, ds::getConnection);
    ds.setURL("jdbc:h2:mem:x");
    assertError(ErrorCode.INVALID_URL, ds::getConnection);
  }

  @Test
  void beanPropertiesAndWrapping() throws SQLException {
    EditDbDataSource ds = new EditDbDataSource();
    ds.setLoginTimeout(5);
    assertEquals(5, ds.getLoginTimeout());
    assertEquals(null, ds.getLogWriter());
    assertSame(ds, ds.unwrap(EditDbDataSource.class));
    assertTrue(ds.isWrapperFor(javax.sql.DataSource.class));
    assertThrows(SQLFeatureNotSupportedException.class, ds::getParentLogger);
  }
}
