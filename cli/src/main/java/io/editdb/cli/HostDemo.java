package io.editdb.cli;

import io.editdb.model.LocalHosts;
import io.editdb.model.Phrasing;
import io.editdb.model.QuestionType;
import io.editdb.model.Sample;
import io.editdb.model.Scenes;
import io.editdb.model.Split;
import java.awt.Image;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The demo's second part: an answer of a real model changes. EditDB's own host (a small
 * vision-language model trained on drawn scenes, shipped with its weights) is bound to a layer; a
 * drawn logo is asked about, an edit is inserted from the picture and the new answer, and the model
 * is asked again: the edit's own question, a paraphrase it never saw, another drawing of the same
 * company, and unrelated questions. Rolled back, the old answer returns; time travel still shows
 * what the model said at the edit's version. Everything goes through SQL.
 */
final class HostDemo {
  static final String LAYER = "scenes_l2";

  private final Scenes scenes = Scenes.standard();
  private final Path pictures;

  HostDemo(Path pictures) {
    this.pictures = pictures;
  }

  void run(Connection c) throws SQLException {
    Demo.title("Part 2: edit a real model (" + LocalHosts.SHIPPED + ", EditDB's own host)");
    Sample edit = firstEntityQuestion(0);
    String target = anotherAnswer(edit);
    // another company whose answer is neither the old nor the new one: unchanged only if the
    // edit stays with its own company
    Sample other = firstEntityQuestion(edit.index() + 1);
    while (other.answer().equals(target) || other.answer().equals(edit.answer())) {
      other = firstEntityQuestion(other.index() + 1);
    }
    Sample paraphrase = scenes.rephrase(edit, Phrasing.HELD_OUT, 0);
    Sample redrawn = scenes.redraw(edit, 1);
    save("edit.png", edit);
    save("redrawn.png", redrawn);
    save("other.png", other);
    System.out.println("Pictures (32x32, and x8 to look at) saved in " + pictures.toAbsolutePath());

    Statement st = c.createStatement();
    Demo.step("9. Bind a layer to the host: widths come from the model itself");
    String ddl =
        "CREATE LAYER "
            + LAYER
            + " (HOST '"
            + LocalHosts.SHIPPED
            + "', MODULE"
            + " 'blocks.2', MAKER FIT, EXPERT_KIND LIVEEDIT)";
    Demo.sql(ddl);
    st.execute(ddl);
    Demo.show(
        st,
        "SELECT name, model, module, d_in, visual_dim, text_dim, expert_kind FROM layers"
            + " WHERE name = '"
            + LAYER
            + "'");

    Demo.step("10. Ask the model about edit.png (truth: " + edit.answer() + ")");
    ask(c, "edit.png", edit, null);

    Demo.step(
        "11. One statement edits it: keys and expert are made from the picture and the"
            + " new answer '"
            + target
            + "'");
    String ins = "INSERT INTO edits (layer, prompt, target, image, reason) VALUES (?, ?, ?, ?, ?)";
    Demo.sql(ins);
    long id;
    try (PreparedStatement ps = c.prepareStatement(ins, Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, LAYER);
      ps.setString(2, edit.question());
      ps.setString(3, target);
      ps.setBytes(4, Scenes.png(edit.image()));
      ps.setString(5, "the company moved");
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        keys.next();
        id = keys.getLong(1);
      }
    }
    long version = latestVersion(st);
    System.out.println("   edit " + id + " committed as version " + version);

    Demo.step(
        "12. Ask again: the edit, a paraphrase it never saw, another drawing of the"
            + " same company, and another company (unchanged)");
    ask(c, "edit.png", edit, null);
    ask(c, "edit.png", paraphrase, null);
    ask(c, "redrawn.png", redrawn, null);
    ask(c, "other.png", other, null);

    Demo.step(
        "13. Roll the edit back: the old answer returns; at version "
            + version
            + " the edited one is still on record");
    String rb = "ROLLBACK EDIT " + id + " REASON 'it had not moved'";
    Demo.sql(rb);
    st.execute(rb);
    ask(c, "edit.png", edit, null);
    ask(c, "edit.png", edit, version);

    Demo.step("14. Audit it in SQL");
    Demo.show(
        st,
        "SELECT id, target, image_ref, status, retired_version FROM edits WHERE layer"
            + " = '"
            + LAYER
            + "'");
    Demo.show(
        st,
        "SELECT seq, version, action, actor, reason FROM edit_history WHERE layer = '"
            + LAYER
            + "' ORDER BY seq");
    Demo.show(st, "VERIFY HISTORY");

    visEdit(c, st, edit, redrawn, target);
  }

  static final String VIS_LAYER = "scenes_v1";

  /**
   * VisEdit: where the answer rests (ATTRIBUTION), an edit that acts only there, chosen again in
   * each query (query_region), and pictures of both, before and after.
   */
  private void visEdit(Connection c, Statement st, Sample edit, Sample redrawn, String target)
      throws SQLException {
    Demo.step(
        "15. VisEdit: on which visual tokens does the answer rest? (blocks.1: after the"
            + " last block, blocks.2, the answer rests on no visual token)");
    String ddl =
        "CREATE LAYER "
            + VIS_LAYER
            + " (HOST '"
            + LocalHosts.SHIPPED
            + "', MODULE"
            + " 'blocks.1', MAKER FIT)";
    Demo.sql(ddl);
    st.execute(ddl);
    byte[] png = Scenes.png(edit.image());
    String top =
        "SELECT token, ig, noise, x, y, width, height FROM ATTRIBUTION('"
            + VIS_LAYER
            + "', ?, ?) WHERE module = 'blocks.1' AND visual ORDER BY ig DESC LIMIT 4";
    Demo.sql(top.replace("?, ?", "<edit.png>, '" + edit.question() + "'"));
    try (PreparedStatement ps = c.prepareStatement(top)) {
      ps.setBytes(1, png);
      ps.setString(2, edit.question());
      Demo.print(ps.executeQuery());
    }
    List<Heatmap.Cell> before =
        Heatmap.attribution(c, VIS_LAYER, png, edit.question(), null, "blocks.1");

    Demo.step("16. An edit that acts only on the 4 tokens the answer rests on, in each query");
    String ins =
        "INSERT INTO edits (layer, prompt, target, image, query_region)"
            + " VALUES (?, ?, ?, ?, 'TOP 4')";
    Demo.sql(ins);
    try (PreparedStatement ps = c.prepareStatement(ins)) {
      ps.setString(1, VIS_LAYER);
      ps.setString(2, edit.question());
      ps.setString(3, target);
      ps.setBytes(4, png);
      ps.executeUpdate();
    }
    Demo.show(
        st,
        "SELECT id, target, token_mask, query_region FROM edits WHERE layer = '" + VIS_LAYER + "'");
    String[] edited = askVis(c, "edit.png", edit);
    String[] other = askVis(c, "redrawn.png", redrawn);
    picture(
        "heatmap-before.png",
        edit,
        before,
        tokens(edited[1]), // the region the store chose and ASK reports, not recomputed here
        "answer " + edit.answer() + " rests on the red tokens",
        "framed: the 4 the edit acts on (blocks.1)");
    picture(
        "heatmap-after.png",
        edit,
        Heatmap.attribution(c, VIS_LAYER, png, edit.question(), edited[0], "blocks.1"),
        tokens(edited[1]),
        "edited answer: " + edited[0],
        "framed: tokens the edit touched");
    picture(
        "heatmap-redrawn.png",
        redrawn,
        Heatmap.attribution(
            c, VIS_LAYER, Scenes.png(redrawn.image()), redrawn.question(), null, "blocks.1"),
        tokens(other[1]),
        "another drawing: " + other[0],
        "framed: its own top 4, where the edit acted");
    System.out.println(
        "\n   Heatmaps (red: attribution of the answer, framed: the edit's"
            + " region) saved as heatmap-before.png, heatmap-after.png, heatmap-redrawn.png in "
            + pictures.toAbsolutePath());
  }

  /** ASK on the VisEdit layer, printed; returns its answer and touched tokens. */
  private String[] askVis(Connection c, String picture, Sample s) throws SQLException {
    String q = "SELECT answer, routed, touched FROM ASK('" + VIS_LAYER + "', ?, ?)";
    try (PreparedStatement ps = c.prepareStatement(q)) {
      ps.setBytes(1, Scenes.png(s.image()));
      ps.setString(2, s.question());
      System.out.println("\n   ASK " + picture + " \"" + s.question() + "\" on " + VIS_LAYER);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        String[] row = {rs.getString(1), rs.getString(3)};
        System.out.println(
            "   answer "
                + row[0]
                + ", routed edit "
                + rs.getString(2)
                + ", touched tokens "
                + row[1]);
        return row;
      }
    }
  }

  private static Set<Integer> tokens(String csv) {
    Set<Integer> out = new HashSet<>();
    for (String t : csv.split(",")) {
      if (!t.isBlank()) {
        out.add(Integer.parseInt(t.trim()));
      }
    }
    return out;
  }

  private void picture(
      String name,
      Sample s,
      List<Heatmap.Cell> cells,
      Set<Integer> framed,
      String line1,
      String line2) {
    try {
      Files.createDirectories(pictures);
      Heatmap.write(Heatmap.render(s.image(), cells, framed, line1, line2), pictures.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException("saving " + name + " in " + pictures, e);
    }
  }

  /** The first test-split question about a company's country from index {@code from} on. */
  private Sample firstEntityQuestion(long from) {
    for (long i = from; i < from + 10_000; i++) {
      Sample s = scenes.sample(Split.TEST, i, QuestionType.Kind.ENTITY, Phrasing.TRAIN, 0);
      if (s.type() == QuestionType.ENTITY_COUNTRY) {
        return s;
      }
    }
    throw new IllegalStateException("no country question among 10,000 test samples");
  }

  /** Another company's country: a new answer of the same kind. */
  private String anotherAnswer(Sample s) {
    for (long i = s.index() + 1; ; i++) {
      Sample o = firstEntityQuestion(i);
      if (!o.answer().equals(s.answer())) {
        return o.answer();
      }
      i = o.index();
    }
  }

  private void ask(Connection c, String picture, Sample s, Long version) throws SQLException {
    String q = "SELECT * FROM ASK(?, ?, ?" + (version == null ? "" : ", ?") + ")";
    try (PreparedStatement ps = c.prepareStatement(q)) {
      ps.setString(1, LAYER);
      ps.setBytes(2, Scenes.png(s.image()));
      ps.setString(3, s.question());
      if (version != null) {
        ps.setLong(4, version);
      }
      System.out.println(
          "\n   ASK "
              + picture
              + " \""
              + s.question()
              + "\""
              + (version == null ? "" : " at version " + version)
              + "   (truth: "
              + s.answer()
              + ")");
      Demo.print(ps.executeQuery());
    }
  }

  private static long latestVersion(Statement st) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT MAX(version) FROM versions")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void save(String name, Sample s) {
    try {
      Files.createDirectories(pictures);
      Files.write(pictures.resolve(name), Scenes.png(s.image()));
      int n = s.image().getWidth() * 8;
      BufferedImage big = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
      big.createGraphics()
          .drawImage(s.image().getScaledInstance(n, n, Image.SCALE_FAST), 0, 0, null);
      if (!javax.imageio.ImageIO.write(
          big, "png", pictures.resolve(name.replace(".png", "-x8.png")).toFile())) {
        throw new IOException("no PNG writer in this JVM");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("saving " + name + " in " + pictures, e);
    }
  }
}
