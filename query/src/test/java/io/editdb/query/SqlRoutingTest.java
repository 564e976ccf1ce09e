package io.editdb.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.store.EditStore;
import io.editdb.store.Layer;
import io.editdb.store.NewEdit;
import io.editdb.store.StoreConfig;
import io.editdb.store.StoreException;
import io.editdb.store.StoreSession;
import io.editdb.store.WeightDtype;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The SQL functions of the query layer: attaching a router points the store's aliases at {@link
 * RoutingFunctions}, each store routes with its own router, and a detached store refuses them.
 */
class SqlRoutingTest {
  private static final int TXT = 8;

  @Test
  void eachStoreRoutesInSqlWithItsOwnRouterAndRefusesOnceDetached() throws SQLException {
    Random r = new Random(17);
    try (EditStore a = EditStore.open(StoreConfig.inMemory("sqlrouting-a-" + System.nanoTime()));
        EditStore b = EditStore.open(StoreConfig.inMemory("sqlrouting-b-" + System.nanoTime()))) {
      float[] query = RouterConformanceTest.unit(r, TXT, null, 0);
      List<Long> inA = fill(a, r, query, 3);
      List<Long> inB = fill(b, r, query, 2);
      SqlRouting onA = SqlRouting.attach(a, new Router(a));
      try (SqlRouting onB = SqlRouting.attach(b, new Router(b))) {
        assertEquals(
            "io.editdb.query.RoutingFunctions.route", externalName(a, "ROUTE"), "ROUTE of a");
        assertEquals(
            "io.editdb.query.RoutingFunctions.embedText", externalName(b, "EMBED_TEXT"), "b");
        List<Long> routedA = routeInSql(a, query);
        assertEquals(
            onA.router().route(RouteQuery.of("t", null, query)).stream()
                .map(RoutedEdit::editId)
                .toList(),
            routedA);
        assertTrue(inA.containsAll(routedA) && !routedA.isEmpty(), "a routes a's edits");
        List<Long> routedB = routeInSql(b, query);
        assertTrue(inB.containsAll(routedB) && !routedB.isEmpty(), "b routes b's edits");
        assertEquals(
            onB.router().route(RouteQuery.of("t", null, query)).stream()
                .map(RoutedEdit::editId)
                .toList(),
            routedB);
      }
      onA.close();
      SqlRouting again = SqlRouting.attach(b, new Router(b)); // the aliases point here already
      again.close();
      SQLException refused = assertThrows(SQLException.class, () -> routeInSql(a, query));
      StoreException cause = (StoreException) refused.getCause();
      assertEquals(StoreException.Kind.UNAVAILABLE, cause.kind());
      assertTrue(cause.getMessage().contains("SqlRouting.attach"), cause.getMessage());
    }
  }

  /**
   * ROUTE is declared DETERMINISTIC (so H2 does not parse a prepared ROUTE again on every run); one
   * prepared ROUTE run again with the same key after each commit still sees each new version: H2
   * must not hand back the rows of the run before.
   */
  @Test
  void aPreparedRouteRunAgainSeesEveryCommit() throws SQLException {
    Random r = new Random(23);
    try (EditStore store =
            EditStore.open(StoreConfig.inMemory("sqlrouting-again-" + System.nanoTime()));
        SqlRouting sql = SqlRouting.attach(store, new Router(store))) {
      float[] query = RouterConformanceTest.unit(r, TXT, null, 0);
      List<Long> ids = new ArrayList<>(fill(store, r, query, 1));
      assertEquals("YES", routine(store, "ROUTE", "IS_DETERMINISTIC"));
      assertEquals("NO", routine(store, "ASK", "IS_DETERMINISTIC"));
      try (Connection c = store.readConnection();
          PreparedStatement ps = c.prepareStatement("SELECT EDIT_ID FROM ROUTE('t', NULL, ?)")) {
        for (int round = 0; round < 3; round++) {
          ps.setArray(1, c.createArrayOf("REAL", boxed(query)));
          List<Long> routed = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              routed.add(rs.getLong(1));
            }
          }
          assertEquals(
              ids.stream().sorted().toList(), routed.stream().sorted().toList(), "round " + round);
          try (StoreSession s = store.openSession("u")) {
            ids.add(
                s.insert(
                    NewEdit.builder("t", "q", "a")
                        .textKey(RouterConformanceTest.unit(r, TXT, query, 0.01))
                        .weights(
                            new float[] {1, 2, 3, 4},
                            new float[] {1, 0, 0, 1},
                            1,
                            1f,
                            WeightDtype.F32)
                        .build()));
            s.commit();
          }
        }
      }
    }
  }

  private static Float[] boxed(float[] key) {
    Float[] out = new Float[key.length];
    for (int i = 0; i < key.length; i++) {
      out[i] = key[i];
    }
    return out;
  }

  private static List<Long> fill(EditStore store, Random r, float[] near, int n) {
    store.createLayer(
        Layer.builder("t", "m", "x", 4, 4, 0, TXT).build(), "admin"); // text-only layer
    List<Long> ids = new ArrayList<>();
    try (StoreSession s = store.openSession("u")) {
      for (int i = 0; i < n; i++) {
        ids.add(
            s.insert(
                NewEdit.builder("t", "q" + i, "a")
                    .textKey(RouterConformanceTest.unit(r, TXT, near, 0.05))
                    .weights(
                        new float[] {1, 2, 3, 4}, new float[] {1, 0, 0, 1}, 1, 1f, WeightDtype.F32)
                    .build()));
      }
      s.commit();
    }
    return ids;
  }

  private static List<Long> routeInSql(EditStore store, float[] key) throws SQLException {
    try (Connection c = store.readConnection();
        PreparedStatement ps = c.prepareStatement("SELECT EDIT_ID FROM ROUTE('t', NULL, ?)")) {
      Float[] boxed = new Float[key.length];
      for (int i = 0; i < key.length; i++) {
        boxed[i] = key[i];
      }
      Array array = c.createArrayOf("REAL", boxed);
      ps.setArray(1, array);
      List<Long> ids = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
      return ids;
    }
  }

  private static String externalName(EditStore store, String alias) throws SQLException {
    return routine(store, alias, "EXTERNAL_NAME");
  }

  private static String routine(EditStore store, String alias, String column) throws SQLException {
    try (Connection c = store.readConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT "
                    + column
                    + " FROM INFORMATION_SCHEMA.ROUTINES WHERE ROUTINE_NAME = '"
                    + alias
                    + "'")) {
      assertTrue(rs.next(), alias + " is declared");
      return rs.getString(1);
    }
  }
}
