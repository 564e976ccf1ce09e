package io.editdb.driver;

import static io.editdb.driver.TestDb.basis;
import static io.editdb.driver.TestDb.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.editdb.store.EditStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.BatchPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.KeyHolder;

/** The same scenario through a pool of EditDB connections and through Spring's JdbcTemplate. */
class PoolAndTemplateTest {

  private static HikariDataSource pool(String url, int size) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    hc.setUsername("ana");
    hc.setMaximumPoolSize(size);
    hc.setMinimumIdle(1);
    hc.setPoolName("test-" + size);
    return new HikariDataSource(hc);
  }

  @Test
  void concurrentWritersThroughHikariGetDenseVersions() throws Exception {
    try (HikariDataSource ds = pool(TestDb.memUrl("hikari"), 4)) {
      try (Connection c = ds.getConnection()) {
        c.createStatement().execute(TestDb.SMALL_LAYER);
      }
      ExecutorService exec = Executors.newFixedThreadPool(4);
      List<Future<Long>> ids = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        int n = i;
        ids.add(
            exec.submit(
                () -> {
                  try (Connection c = ds.getConnection()) {
                    return TestDb.insert(c, "prompt " + n, n, n);
                  }
                }));
      }
      for (Future<Long> f : ids) {
        assertTrue(f.get() > 0);
      }
      exec.shutdown();
      try (Connection c = ds.getConnection()) {
        assertEquals(21, TestDb.scalar(c, "SELECT COUNT(*) FROM versions"));
        assertEquals(21, TestDb.scalar(c, "SELECT MAX(version) FROM versions"));
        assertEquals(20, TestDb.scalar(c, "SELECT COUNT(DISTINCT created_version) FROM edits"));
        c.setAutoCommit(false);
        c.createStatement().execute("ROLLBACK EDITS WHERE id <= 10 REASON 'bad batch'");
        c.commit();
        c.setAutoCommit(true);
        assertEquals(
            10, TestDb.scalar(c, "SELECT COUNT(*) FROM edits WHERE status =" + " 'ACTIVE'"));
      }
    }
  }

  @Test
  void refusalsDoNotCostThePoolItsConnection() throws SQLException {
    try (HikariDataSource ds = pool(TestDb.memUrl("hikari-keep"), 1)) {
      EditDbConnection first;
      try (Connection c = ds.getConnection()) {
        first = c.unwrap(EditDbConnection.class);
        Statement st = c.createStatement();
        st.execute(TestDb.SMALL_LAYER);
        TestDb.insert(c, "a", 0, 0);
        for (String bad :
            List.of(
                "DELETE FROM edits",
                "ROLLBACK EDIT 99",
                "ROLLBACK EDIT x",
                "SHUTDOWN",
                "ROLLBACK TO VERSION 42",
                TestDb.SMALL_LAYER,
                "SELECT nope FROM edits",
                "RESTORE EDIT 1",
                "SELECT * FROM ROUTE('small', ARRAY[1], ARRAY[1])")) {
          assertThrows(SQLException.class, () -> st.execute(bad));
        }
        try (PreparedStatement ps = c.prepareStatement(TestDb.INSERT)) {
          TestDb.bindSmall(ps, "b", 0, 0);
          ps.setObject(4, new float[] {Float.NaN, 0, 0, 0});
          assertThrows(SQLException.class, ps::executeUpdate);
        }
      }
      try (Connection c = ds.getConnection()) {
        // HikariCP discards a connection after class 08 or 0A errors; none of those was one
        assertSame(first, c.unwrap(EditDbConnection.class));
        assertEquals(1, TestDb.scalar(c, "SELECT COUNT(*) FROM edits"));
      }
    }
  }

  @Test
  void jdbcTemplateInsertsWithAKeyHolderBatchesAndQueries() throws SQLException {
    try (HikariDataSource ds = pool(TestDb.memUrl("spring"), 2)) {
      JdbcTemplate jdbc = new JdbcTemplate(ds);
      jdbc.execute(TestDb.SMALL_LAYER);
      KeyHolder keys = new GeneratedKeyHolder();
      jdbc.update(
          con -> {
            PreparedStatement ps =
                con.prepareStatement(TestDb.INSERT, Statement.RETURN_GENERATED_KEYS);
            TestDb.bindSmall(ps, "via spring", 0, 0);
            return ps;
          },
          keys);
      assertEquals(1L, keys.getKey().longValue());
      KeyHolder byName = new GeneratedKeyHolder();
      jdbc.update(
          con -> {
            PreparedStatement ps = con.prepareStatement(TestDb.INSERT, new String[] {"id"});
            TestDb.bindSmall(ps, "by name", 1, 1);
            return ps;
          },
          byName);
      assertEquals(2L, byName.getKeyAs(Long.class));

      int[] counts =
          jdbc.batchUpdate(
              TestDb.INSERT,
              new BatchPreparedStatementSetter() {
                @Override
                public void setValues(PreparedStatement ps, int i) throws SQLException {
                  TestDb.bindSmall(ps, "batch " + i, i, i);
                }

                @Override
                public int getBatchSize() {
                  return 3;
                }
              });
      assertEquals(3, counts.length);
      assertEquals(4L, jdbc.queryForObject("SELECT MAX(version) FROM versions", Long.class));

      // args with null values: Spring asks the parameter metadata for a type
      assertEquals(1, jdbc.update("ROLLBACK EDIT ? REASON ?", 1L, null));
      assertEquals(
          3,
          jdbc.update("ROLLBACK EDITS WHERE prompt LIKE ? REASON ?", "batch%", "spring cleanup"));
      assertEquals(
          List.of("by name"),
          jdbc.queryForList(
              "SELECT prompt FROM edits" + " WHERE status = 'ACTIVE' AND id > 1 ORDER BY id",
              String.class));
      float[] key =
          jdbc.queryForObject(
              "SELECT visual_key FROM edits WHERE id = 2",
              (rs, i) -> rs.getObject(1, float[].class));
      assertEquals(basis(4, 1)[1], key[1]);
      assertEquals(
          Boolean.TRUE, jdbc.queryForObject("VERIFY HISTORY", (rs, i) -> rs.getBoolean("ok")));
      List<Long> routed =
          jdbc.queryForList(
              "SELECT edit_id FROM ROUTE('small', ?, ?)", Long.class, basis(4, 1), basis(3, 1));
      assertEquals(List.of(2L), routed);

      DataAccessException e =
          assertThrows(DataAccessException.class, () -> jdbc.update("DELETE FROM edit_history"));
      SQLException cause = (SQLException) e.getMostSpecificCause();
      assertEquals(ErrorCode.READ_ONLY_RELATION.sqlState(), cause.getSQLState());
      assertEquals(5L, jdbc.queryForObject("SELECT COUNT(*) FROM edits", Long.class));
      assertSame(ds.getConnection().unwrap(EditStore.class).getClass(), EditStore.class);
      assertEquals(random(2, 1).length, 2);
    }
  }
}
