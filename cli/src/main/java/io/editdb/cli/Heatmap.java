package io.editdb.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A picture a person can look at: the image enlarged, each visual token's box tinted by its
 * attribution score ({@code ATTRIBUTION}'s rows), a region of tokens outlined, and a caption.
 */
final class Heatmap {
  /** One visual token of an attribution map: its position, score and box in pixels. */
  record Cell(int token, float score, int x, int y, int width, int height) {}

  private static final int SCALE = 8;
  private static final int CAPTION = 40;

  private Heatmap() {}

  /**
   * The visual tokens of {@code ATTRIBUTION(layer, png, question[, answer])} at one module, by
   * integrated gradients. {@code answer} null: the host's own answer.
   */
  static List<Cell> attribution(
      java.sql.Connection c,
      String layer,
      byte[] png,
      String question,
      String answer,
      String module)
      throws SQLException {
    String sql =
        "SELECT token, ig, x, y, width, height FROM ATTRIBUTION(?, ?, ?"
            + (answer == null ? "" : ", ?")
            + ") WHERE module = ? AND visual ORDER BY token";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setString(i++, layer);
      ps.setBytes(i++, png);
      ps.setString(i++, question);
      if (answer != null) {
        ps.setString(i++, answer);
      }
      ps.setString(i, module);
      List<Cell> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Cell(
                  rs.getInt(1),
                  rs.getFloat(2),
                  rs.getInt(3),
                  rs.getInt(4),
                  rs.getInt(5),
                  rs.getInt(6)));
        }
      }
      return out;
    }
  }

  /**
   * The image x8 with positive scores in red (alpha by score / the largest), negative in blue,
   * {@code outlined} tokens framed in yellow, and two caption lines below.
   */
  static BufferedImage render(
      BufferedImage image, List<Cell> cells, Set<Integer> outlined, String line1, String line2) {
    int w = image.getWidth() * SCALE;
    int h = image.getHeight() * SCALE;
    BufferedImage out = new BufferedImage(w, h + CAPTION, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.drawImage(image.getScaledInstance(w, h, Image.SCALE_FAST), 0, 0, null);
      float max = 1e-9f;
      for (Cell c : cells) {
        max = Math.max(max, Math.abs(c.score()));
      }
      for (Cell c : cells) {
        int alpha = Math.round(170 * Math.abs(c.score()) / max);
        g.setColor(c.score() >= 0 ? new Color(230, 20, 20, alpha) : new Color(20, 60, 230, alpha));
        g.fillRect(c.x() * SCALE, c.y() * SCALE, c.width() * SCALE, c.height() * SCALE);
      }
      g.setStroke(new BasicStroke(3f));
      g.setColor(Color.YELLOW);
      for (Cell c : cells) {
        if (outlined.contains(c.token())) {
          g.drawRect(
              c.x() * SCALE + 2, c.y() * SCALE + 2, c.width() * SCALE - 4, c.height() * SCALE - 4);
        }
      }
      g.setColor(Color.WHITE);
      g.fillRect(0, h, w, CAPTION);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      g.drawString(line1, 4, h + 15);
      g.drawString(line2, 4, h + 32);
    } finally {
      g.dispose();
    }
    return out;
  }

  static void write(BufferedImage image, Path file) throws IOException {
    if (!javax.imageio.ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer in this JVM");
    }
  }
}
