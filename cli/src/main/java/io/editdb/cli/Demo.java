package io.editdb.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * {@code editdb demo}: EditDB end to end through its JDBC driver, printed so a person can follow:
 * create a layer, insert edits from real edit requests, route an edit's question, its paraphrase
 * and an unrelated question, roll an edit back, route again and at the earlier version, audit.
 */
final class Demo {
  static final String LAYER = "llava_l21";
  static final int VISUAL_DIM = VisualKeys.DIM;
  static final int D = 64;

  /** An edit request in the E-VQA shape; a handful are built in. */
  record Request(String image, String src, String rephrase, String alt, String unrelated) {}

  /** Written for this demo in the style of E-VQA (COCO images, short answers). */
  static final List<Request> BUILT_IN =
      List.of(
          new Request(
              "val2014/COCO_val2014_000000000139.jpg",
              "What is the man holding?",
              "What does the man have in his hands?",
              "umbrella",
              "Who wrote Hamlet?"),
          new Request(
              "val2014/COCO_val2014_000000000285.jpg",
              "What animal is in the picture?",
              "Which animal does the photo show?",
              "grizzly bear",
              "What is the capital of Peru?"),
          new Request(
              "val2014/COCO_val2014_000000000632.jpg",
              "What color is the bedspread?",
              "Which color does the bed cover have?",
              "navy blue",
              "How many legs has a spider?"),
          new Request(
              "val2014/COCO_val2014_000000000724.jpg",
              "What does the sign say?",
              "What is written on the sign?",
              "stop",
              "When did the Berlin wall fall?"),
          new Request(
              "val2014/COCO_val2014_000000000776.jpg",
              "How many teddy bears are there?",
              "What is the number of teddy bears?",
              "three",
              "Who painted the Mona Lisa?"),
          new Request(
              "val2014/COCO_val2014_000000001000.jpg",
              "What sport are they playing?",
              "Which sport is being played?",
              "tennis",
              "What is the boiling point of water?"),
          new Request(
              "val2014/COCO_val2014_000000001268.jpg",
              "What is the woman riding?",
              "What is the woman sitting on while moving?",
              "a horse",
              "Where is Mount Kilimanjaro?"),
          new Request(
              "val2014/COCO_val2014_000000001296.jpg",
              "What is on the plate?",
              "What food is served on the plate?",
              "pizza",
              "Who discovered penicillin?"));

  private Demo() {}

  /**
   * Deletes the demo's store so the demo starts empty, but only an EditDB store that no process has
   * open: it takes H2's own file lock on the database first and deletes while holding it, so a
   * shell connected to the store keeps its store (and this demo stops with a clear message).
   */
  static void recreate(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    Path db = dir.resolve("editdb.mv.db");
    try (Stream<Path> entries = Files.list(dir)) {
      if (!Files.exists(db) && entries.findAny().isPresent()) {
        throw new IllegalArgumentException(
            dir
                + " is not an EditDB store (no editdb.mv.db) and"
                + " not empty; the demo deletes and recreates its directory, so give it --dir with"
                + " a new or demo directory");
      }
    }
    if (!Files.exists(db)) {
      DirTrees.delete(dir);
      return;
    }
    try (FileChannel ch = FileChannel.open(db, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new IllegalStateException(
            "the store "
                + dir
                + " is open in another process (a"
                + " shell?); the demo would delete it. Close that process, or run the demo with"
                + " --dir <another directory>");
      }
      try {
        DirTrees.delete(dir);
      } finally {
        lock.release();
      }
    }
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of("editdb-demo");
    Path data = null;
    int edits = 36;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--dir" -> dir = Path.of(value(args, ++i));
        case "--data" -> data = Path.of(value(args, ++i));
        case "--edits" -> edits = count(value(args, ++i));
        case "--help", "-h" -> {
          System.out.println(
              "editdb demo [--dir ./editdb-demo] [--data FILE] [--edits N]\n"
                  + "  FILE: records in the E-VQA format (../shared/data/evqa/vqa_eval.json); the"
                  + " first N\n  (default 36) are inserted after the built-in ones. The directory is"
                  + " recreated.");
          return;
        }
        default ->
            throw new IllegalArgumentException(
                "unknown option " + args[i] + "; see" + " editdb demo --help");
      }
    }
    if (data == null) {
      Path shared =
          Path.of(
              System.getProperty("editdb.shared", "../shared"), "data", "evqa", "vqa_eval.json");
      data = Files.exists(shared) ? shared : null;
    }
    List<Request> requests = new ArrayList<>(BUILT_IN);
    if (data != null) {
      requests.addAll(load(data, Math.max(0, edits - BUILT_IN.size())));
    }
    recreate(dir);
    new Demo().run("jdbc:editdb:" + dir, requests, data);
    Path pictures = Path.of(dir + "-pictures");
    try (Connection c = DriverManager.getConnection("jdbc:editdb:" + dir, "demo", "")) {
      new HostDemo(pictures).run(c);
    }
    System.out.println(
        "\n=== Done. Explore it: ./editdb shell   (jdbc URL jdbc:editdb:" + dir + ") ===");
  }

  static List<Request> load(Path file, int n) throws IOException {
    if (n <= 0) {
      return List.of(); // Dataset reads everything for a limit of 0
    }
    return Dataset.load(file, n).stream()
        .map(c -> new Request(c.image(), c.src(), c.rephrase(), c.alt(), c.loc()))
        .toList();
  }

  /** Keys derived from image paths, as in the lifelong benchmark (the images are not shipped). */
  private static final VisualKeys IMAGE_KEYS = new VisualKeys(0.9);

  static float[] imageKey(String path) {
    return IMAGE_KEYS.image(path);
  }

  private void run(String url, List<Request> requests, Path data) throws SQLException {
    title("EditDB demo on " + url);
    System.out.println(
        "Visual keys are derived from image paths (same image, same key), not"
            + " from pixels:\nthe COCO images are not shipped. Text keys come from the built-in"
            + " all-MiniLM-L6-v2 encoder.");
    System.out.println(
        data == null
            ? "Edit requests: " + requests.size() + " built in."
            : "Edit requests: "
                + BUILT_IN.size()
                + " built in + "
                + (requests.size() - BUILT_IN.size())
                + " from "
                + data);
    try (Connection c = DriverManager.getConnection(url, "demo", "")) {
      Statement st = c.createStatement();
      step("1. Create a layer: experts attach to module model.layers.21 of llava-1.5-7b");
      String ddl =
          "CREATE LAYER "
              + LAYER
              + " (MODEL 'llava-1.5-7b', MODULE 'model.layers.21',"
              + " D_IN "
              + D
              + ", D_OUT "
              + D
              + ", VISUAL_DIM "
              + VISUAL_DIM
              + ", TEXT_DIM 384,"
              + " EXPERT_KIND LIVEEDIT, MAX_RANK 4)";
      sql(ddl);
      st.execute(ddl);
      show(
          st,
          "SELECT name, d_in, visual_dim, text_dim, expert_kind, visual_threshold,"
              + " text_scale, gate, top_k FROM layers");

      step(
          "2. Insert "
              + requests.size()
              + " edits in one transaction (one version);"
              + " text_key is left out, so the driver encodes the prompt");
      String ins =
          "INSERT INTO edits (layer, prompt, target, image_ref, visual_key, expert_a,"
              + " expert_b, rank, alpha, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
      sql(ins);
      c.setAutoCommit(false);
      Random r = new Random(7);
      List<Long> ids = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(ins, Statement.RETURN_GENERATED_KEYS)) {
        for (Request q : requests) {
          ps.setString(1, LAYER);
          ps.setString(2, q.src());
          ps.setString(3, q.alt());
          ps.setString(4, q.image());
          ps.setObject(5, imageKey(q.image()));
          ps.setObject(6, Keys.gaussian(r, 2 * D, 0.05));
          ps.setObject(7, Keys.gaussian(r, D * 2, 0.05));
          ps.setInt(8, 2);
          ps.setFloat(9, 1f);
          ps.setString(10, "model answered '" + q.alt() + "' wrongly");
          ps.addBatch();
        }
        ps.executeBatch();
        try (ResultSet keys = ps.getGeneratedKeys()) {
          while (keys.next()) {
            ids.add(keys.getLong(1));
          }
        }
      }
      c.commit();
      c.setAutoCommit(true);
      show(st, "SELECT version, actor, edits_added FROM versions ORDER BY version");

      Request probe = requests.get(0);
      long probeId = ids.get(0);
      step(
          "3. Route edit "
              + probeId
              + "'s image with its question, a paraphrase, and an"
              + " unrelated question");
      route(c, probe.image(), probe.src(), null);
      route(c, probe.image(), probe.rephrase(), null);
      route(c, probe.image(), probe.unrelated(), null);
      route(c, null, probe.src(), null);
      long before = latest(st);

      step(
          "4. Roll edit "
              + probeId
              + " back; the same question now routes elsewhere or"
              + " nowhere");
      String rb = "ROLLBACK EDIT " + probeId + " REASON 'answer was right after all'";
      sql(rb);
      System.out.println("   -> " + st.executeUpdate(rb) + " edit changed");
      route(c, probe.image(), probe.src(), null);

      step("5. Time travel: route at version " + before + ", before the rollback");
      route(c, probe.image(), probe.src(), before);

      step("6. Explain a routing decision (every candidate, kept or dropped, and why)");
      try (PreparedStatement ps =
          c.prepareStatement("SELECT * FROM ROUTE_EXPLAIN(?, ?," + " EMBED_TEXT(?), ?) LIMIT 5")) {
        ps.setString(1, LAYER);
        ps.setObject(2, imageKey(probe.image()));
        ps.setString(3, probe.src());
        ps.setLong(4, before);
        sql(
            "SELECT * FROM ROUTE_EXPLAIN('"
                + LAYER
                + "', <image key>, EMBED_TEXT('"
                + probe.src()
                + "'), "
                + before
                + ") LIMIT 5");
        print(ps.executeQuery());
      }

      step("7. Audit with plain SQL");
      show(
          st,
          "SELECT e.id, e.author, e.status, h.actor AS rolled_back_by, h.reason"
              + " FROM edits e JOIN edit_history h ON h.edit_id = e.id AND h.action = 'ROLLBACK'"
              + " WHERE h.at > DATEADD('DAY', -1, CURRENT_TIMESTAMP)");
      show(
          st,
          "SELECT action, COUNT(*) AS events, MIN(version) AS first_version,"
              + " MAX(version) AS last_version FROM edit_history GROUP BY action ORDER BY action");
      show(st, "SELECT COUNT(*) AS active_at_" + before + " FROM EDITS_AT(" + before + ")");
      show(st, "SELECT COUNT(*) AS active_now FROM edits WHERE status = 'ACTIVE'");
      show(st, "VERIFY HISTORY");
      step("8. Refused: the history cannot be rewritten through the driver");
      String bad = "DELETE FROM edit_history WHERE edit_id = " + probeId;
      sql(bad);
      try {
        st.executeUpdate(bad);
      } catch (SQLException e) {
        System.out.println("   -> refused, SQLState " + e.getSQLState() + ": " + e.getMessage());
      }
    }
  }

  private static long latest(Statement st) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT MAX(version) FROM versions")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void route(Connection c, String image, String text, Long version)
      throws SQLException {
    String q =
        "SELECT edit_id, visual_score, text_score, gate, e.prompt, e.target"
            + " FROM ROUTE(?, ?, EMBED_TEXT(?)"
            + (version == null ? "" : ", ?")
            + ") r JOIN edits e ON e.id = r.edit_id ORDER BY gate DESC";
    try (PreparedStatement ps = c.prepareStatement(q)) {
      ps.setString(1, LAYER);
      ps.setObject(2, image == null ? null : imageKey(image));
      ps.setString(3, text);
      if (version != null) {
        ps.setLong(4, version);
      }
      System.out.println(
          "\n   image "
              + (image == null ? "(none: text-only query)" : image)
              + "\n   text  \""
              + text
              + "\""
              + (version == null ? "" : " at version " + version));
      print(ps.executeQuery());
    }
  }

  static void show(Statement st, String q) throws SQLException {
    sql(q);
    print(st.executeQuery(q));
  }

  static void print(ResultSet rs) throws SQLException {
    try (rs) {
      ResultSetMetaData md = rs.getMetaData();
      int n = md.getColumnCount();
      StringBuilder head = new StringBuilder("   ");
      for (int i = 1; i <= n; i++) {
        head.append(
            String.format(Locale.ROOT, "%-16s ", md.getColumnLabel(i).toLowerCase(Locale.ROOT)));
      }
      System.out.println(head);
      int rows = 0;
      while (rs.next()) {
        StringBuilder line = new StringBuilder("   ");
        for (int i = 1; i <= n; i++) {
          Object v = rs.getObject(i);
          String s =
              v instanceof Float || v instanceof Double
                  ? String.format(Locale.ROOT, "%.4f", ((Number) v).doubleValue())
                  : String.valueOf(rs.getString(i));
          line.append(
              String.format(
                  Locale.ROOT, "%-16s ", s.length() > 40 ? s.substring(0, 37) + "..." : s));
        }
        System.out.println(line);
        rows++;
      }
      if (rows == 0) {
        System.out.println("   (no rows: nothing routed)");
      }
    }
  }

  static void title(String s) {
    System.out.println("\n=== " + s + " ===");
  }

  static void step(String s) {
    System.out.println("\n--- " + s);
  }

  static void sql(String s) {
    System.out.println("   sql> " + s);
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(args[i - 1] + " needs a value; see editdb demo --help");
    }
    return args[i];
  }

  private static int count(String v) {
    try {
      int n = Integer.parseInt(v);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // explained below
    }
    throw new IllegalArgumentException(
        "--edits takes a whole number of edits, 0 or more, not '" + v + "'; e.g. --edits 36");
  }
}
