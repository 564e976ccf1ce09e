package io.editdb.bench;

import io.editdb.cli.DirTrees;
import io.editdb.cli.Keys;
import io.editdb.query.RouteQuery;
import io.editdb.query.Router;
import io.editdb.store.EditStore;
import io.editdb.store.NewEdit;
import io.editdb.store.StoreSession;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * SQL against Java (issue 19): the same work through the EditDB JDBC driver and through the Java
 * API, on the same store in the same run, so the table shows what SQL costs.
 *
 * <ol>
 *   <li>Routing: {@code SELECT * FROM ROUTE(?, ?, ?)} on a {@link PreparedStatement} (every row
 *       read) against {@link Router#route} of the driver's own router, same keys (RoutingBench's
 *       generators), query by query in turns. The JIT is warmed on a store of {@value #WARM} edits,
 *       enough for the router's HNSW mode (a store of 1,000, as before, is routed by exact scan:
 *       the first queries after the load then ran the graph search's code cold); then a bulk load
 *       of EDITS through the store (RoutingBench's load), and the first FIRST queries of each path
 *       right after it (index merges still running); then, once the merges are done and after a
 *       warm-up, QUERIES queries of each in blocks of 50 (which path goes first alternates).
 *   <li>Inserts: {@code INSERT INTO edits} through {@code addBatch}/{@code executeBatch} in batches
 *       of 1,000 with auto-commit on (one durable version per batch), against the store's {@link
 *       StoreSession#insert} with a commit per 1,000, taking turns batch by batch on one store;
 *       StoreBench's edits (d 1024, rank 4, f32: 32 KiB of weights each).
 * </ol>
 *
 * <pre>
 * editdb bench sql [EDITS=20000] [QUERIES=2000] [FIRST=200] [INSERTS=10000]
 * </pre>
 *
 * <p>EDITS 0 skips the routing part, INSERTS 0 the inserts part.
 */
public final class SqlBench {
  private static final int BLOCK = 50;
  private static final int INSERT_BATCH = 1000;

  public static void main(String[] args) throws IOException, SQLException {
    int edits = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int queries = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
    int first = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    int inserts = args.length > 3 ? Integer.parseInt(args[3]) : 10_000;
    System.out.println(
        Stats.fmt(
            "SqlBench: %,d edits (visual 512 / text 384), %,d queries per path, first %d after"
                + " the load, %,d inserts per path in batches of %,d; load average %s; JVM %s",
            edits, queries, first, inserts, INSERT_BATCH, Stats.loadAverage(), Runtime.version()));
    if (edits > 0) {
      routing(edits, queries, first);
    }
    if (inserts > 0) {
      inserts(inserts);
    }
  }

  /** Edits of the store the JIT warms on before the bulk load: above the HNSW switch (2,048). */
  static final int WARM = 5_000;

  private static void routing(int edits, int queries, int first) throws IOException, SQLException {
    Path dir = Path.of("target/sqlbench-route");
    DirTrees.delete(dir);
    Keys visual = RoutingBench.visualKeys(edits);
    Keys text = RoutingBench.textKeys(edits);
    try (Connection c = connect(dir);
        PreparedStatement ps = c.prepareStatement("SELECT * FROM ROUTE(?, ?, ?)")) {
      EditStore s = c.unwrap(EditStore.class);
      Router router = c.unwrap(Router.class);
      RoutingBench.createLayer(s);
      // The JIT warmed on a small store first, so the first queries after the bulk load show
      // the load's effect, not the compiler's.
      RoutingBench.load(s, WARM, visual::next, text::next);
      s.awaitIndexMerges();
      for (int i = 0; i < 3000; i++) {
        RouteQuery q = query(visual, text);
        router.route(q);
        sql(ps, q);
      }
      long t0 = System.nanoTime();
      RoutingBench.load(s, edits, visual::next, text::next);
      double loadS = (System.nanoTime() - t0) / 1e9;
      Stats firstJava = new Stats();
      Stats firstSql = new Stats();
      timeInTurns(router, ps, visual, text, first, firstJava, firstSql);
      long t1 = System.nanoTime();
      int segments = s.awaitIndexMerges();
      double mergeS = (System.nanoTime() - t1) / 1e9;
      for (int i = 0; i < 2000; i++) {
        RouteQuery q = query(visual, text);
        router.route(q);
        sql(ps, q);
      }
      Stats java = new Stats();
      Stats sql = new Stats();
      timeInTurns(router, ps, visual, text, queries, java, sql);
      System.out.println(
          Stats.fmt(
              "ROUTE on %,d + %,d edits (%s mode): load %.1f s, merges %.1f s after the first"
                  + " queries, %d segment(s) settled",
              edits,
              WARM,
              router.modeFor(s.layer("bench"), s.latestVersion()),
              loadS,
              mergeS,
              segments));
      Stats.row(
          "| %-28s | %14s | %14s | %16s | %16s |",
          "path",
          "settled p50 ms",
          "settled p99 ms",
          "first " + first + " p50 ms",
          "first " + first + " p99 ms");
      Stats.row("|%s|", "-".repeat(100));
      row("Java Router.route", java, firstJava);
      row("SQL ROUTE, PreparedStatement", sql, firstSql);
      Stats.row(
          "| %-28s | %13.2fx | %13.2fx | %15.2fx | %15.2fx |",
          "SQL / Java",
          sql.medianMs() / java.medianMs(),
          sql.p99Ms() / java.p99Ms(),
          firstSql.medianMs() / firstJava.medianMs(),
          firstSql.p99Ms() / firstJava.p99Ms());
      Stats.row(
          "first / settled: Java p50 %.2fx, SQL p50 %.2fx",
          firstJava.medianMs() / java.medianMs(), firstSql.medianMs() / sql.medianMs());
    }
    DirTrees.delete(dir);
  }

  /** n fresh queries of each path, in blocks of BLOCK; the path that goes first alternates. */
  private static void timeInTurns(
      Router router, PreparedStatement ps, Keys visual, Keys text, int n, Stats java, Stats sql)
      throws SQLException {
    for (int from = 0, block = 0; from < n; from += BLOCK, block++) {
      RouteQuery[] qs = new RouteQuery[Math.min(BLOCK, n - from)];
      for (int i = 0; i < qs.length; i++) {
        qs[i] = query(visual, text);
      }
      for (int pass = 0; pass < 2; pass++) {
        boolean javaPass = (pass + block) % 2 == 0;
        for (RouteQuery q : qs) {
          long t = System.nanoTime();
          if (javaPass) {
            router.route(q);
            java.add(System.nanoTime() - t);
          } else {
            sql(ps, q);
            sql.add(System.nanoTime() - t);
          }
        }
      }
    }
  }

  private static RouteQuery query(Keys visual, Keys text) {
    return RouteQuery.of("bench", visual.next(), text.next());
  }

  /** Runs the prepared ROUTE and reads every row, as a caller would. */
  private static int sql(PreparedStatement ps, RouteQuery q) throws SQLException {
    ps.setString(1, q.layer());
    ps.setObject(2, q.visualKey());
    ps.setObject(3, q.textKey());
    int rows = 0;
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rs.getLong(1);
        rs.getFloat(4);
        rows++;
      }
    }
    return rows;
  }

  private static void inserts(int n) throws IOException, SQLException {
    Path dir = Path.of("target/sqlbench-insert");
    DirTrees.delete(dir);
    Keys visual = new Keys(512, Math.max(10, n / 50), 0.5, 1);
    Keys text = new Keys(384, Math.max(10, n / 50), 0.5, 2);
    float[][] ab = StoreBench.experts();
    long javaNanos = 0;
    long sqlNanos = 0;
    Stats javaBatch = new Stats();
    Stats sqlBatch = new Stats();
    int done = 0;
    try (Connection c = connect(dir);
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO edits (layer, prompt, target, image_ref, visual_key, text_key,"
                    + " expert_a, expert_b, rank, alpha, author) VALUES"
                    + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      EditStore s = c.unwrap(EditStore.class);
      StoreBench.createLayer(s);
      for (int batch = 0; done < 2 * n; batch++) {
        // Java and JDBC take turns batch by batch on one store, so both see it grow alike. The
        // batch's keys are drawn before the clock starts: the timing is the store's and the
        // driver's, not the random generator's (drawing 896 Gaussians per edit was about a tenth
        // of the inserting thread's samples).
        boolean javaTurn = batch % 2 == 0;
        float[][] vs = new float[INSERT_BATCH][];
        float[][] ts = new float[INSERT_BATCH][];
        for (int i = 0; i < INSERT_BATCH; i++) {
          vs[i] = visual.next();
          ts[i] = text.next();
        }
        long t = System.nanoTime();
        if (javaTurn) {
          try (StoreSession ss = s.openSession("bench")) {
            for (int i = 0; i < INSERT_BATCH; i++) {
              ss.insert(StoreBench.edit(vs[i], ts[i], ab[0], ab[1], done + i));
            }
            ss.commit();
          }
        } else {
          for (int i = 0; i < INSERT_BATCH; i++) {
            NewEdit e = StoreBench.edit(vs[i], ts[i], ab[0], ab[1], done + i);
            ps.setString(1, e.layer());
            ps.setString(2, e.prompt());
            ps.setString(3, e.target());
            ps.setString(4, e.imageRef());
            ps.setObject(5, e.visualKey());
            ps.setObject(6, e.textKey());
            ps.setObject(7, ab[0]);
            ps.setObject(8, ab[1]);
            ps.setInt(9, 4);
            ps.setFloat(10, 1f);
            ps.setString(11, "bench");
            ps.addBatch();
          }
          ps.executeBatch();
        }
        long took = System.nanoTime() - t;
        if (javaTurn) {
          javaNanos += took;
          javaBatch.add(took);
        } else {
          sqlNanos += took;
          sqlBatch.add(took);
        }
        done += INSERT_BATCH;
      }
    }
    DirTrees.delete(dir);
    System.out.println();
    System.out.println(
        Stats.fmt(
            "INSERT INTO edits, batches of %,d, one durable version per batch, %,d edits per path"
                + " (turns on one store of %,d edits)",
            INSERT_BATCH, n, 2 * n));
    Stats.row("| %-36s | %10s | %16s |", "path", "edits/s", "batch median ms");
    Stats.row("|%s|", "-".repeat(70));
    Stats.row(
        "| %-36s | %,10.0f | %16.1f |",
        "Java StoreSession.insert + commit", n / (javaNanos / 1e9), javaBatch.medianMs());
    Stats.row(
        "| %-36s | %,10.0f | %16.1f |",
        "JDBC addBatch/executeBatch", n / (sqlNanos / 1e9), sqlBatch.medianMs());
    Stats.row("JDBC / Java throughput: %.2fx", (double) javaNanos / sqlNanos);
  }

  private static void row(String path, Stats settled, Stats first) {
    Stats.row(
        "| %-28s | %14.3f | %14.3f | %16.3f | %16.3f |",
        path, settled.medianMs(), settled.p99Ms(), first.medianMs(), first.p99Ms());
  }

  private static Connection connect(Path dir) throws SQLException {
    return DriverManager.getConnection("jdbc:editdb:" + dir.toAbsolutePath(), "bench", "");
  }
}
