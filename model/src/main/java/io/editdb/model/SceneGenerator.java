package io.editdb.model;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Draws scenes with Java2D. Everything random comes from the {@link Random} passed in, so a drawing
 * is a pure function of its seed; the content (which entity, which objects on which side) is
 * decided by the caller and only the look (pose, scale, colour jitter, background, noise) is drawn
 * here.
 */
final class SceneGenerator {
  static final String[] OBJECT_SHAPES = {"circle", "square", "triangle", "cross"};
  static final String[] OBJECT_COLOURS = {"red", "orange", "yellow", "green", "blue", "purple"};
  private static final float[] OBJECT_HUES = {0f, 28f, 55f, 120f, 220f, 285f};
  static final String[] SIZES = {"small", "large"};
  static final int[] SIZE_PX = {7, 11};
  static final String[] LOGO_SHAPE_NAMES = {
    "circle", "square", "triangle", "diamond", "hexagon", "star"
  };
  static final int LOGO_SHAPES = LOGO_SHAPE_NAMES.length;
  static final int HUES = 10;
  static final int MARKS = 5; // none, horizontal bar, vertical bar, dot, ring

  /**
   * One object of a scene's content: indices into the arrays above; left = drawn left of centre.
   */
  record ObjectSpec(int shape, int colour, int size, boolean left) {
    String describe() {
      return SIZES[size] + " " + OBJECT_COLOURS[colour] + " " + OBJECT_SHAPES[shape];
    }
  }

  private final int size;

  SceneGenerator(int size) {
    this.size = size;
  }

  /** An entity's logo at a random pose on a random background. */
  BufferedImage drawEntity(Entity e, Random r, List<DrawnObject> boxes) {
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = graphics(img);
    background(g, r, true);
    double scale = size * (0.56 + 0.18 * r.nextDouble()); // logo diameter in pixels
    double cx = size / 2.0 + (r.nextDouble() - 0.5) * size * 0.22;
    double cy = size / 2.0 + (r.nextDouble() - 0.5) * size * 0.22;
    double angle = Math.toRadians((r.nextDouble() - 0.5) * 30);
    AffineTransform at = new AffineTransform();
    at.translate(cx, cy);
    at.rotate(angle);
    at.scale(scale / 2, scale / 2); // shapes below live in [-1, 1]
    float hue = (e.hueIndex() * 36f + (float) (r.nextGaussian() * 3)) / 360f;
    Color fill = Color.getHSBColor(hue, 0.65f + 0.3f * r.nextFloat(), 0.7f + 0.3f * r.nextFloat());
    Shape outline = at.createTransformedShape(logoShape(e.logoShape()));
    g.setColor(fill);
    g.fill(outline);
    float tone = e.lightMark() ? 0.88f + 0.12f * r.nextFloat() : 0.05f + 0.12f * r.nextFloat();
    g.setColor(new Color(tone, tone, tone));
    switch (e.mark()) {
      case 1 -> g.fill(at.createTransformedShape(new Rectangle2D.Double(-0.55, -0.14, 1.1, 0.28)));
      case 2 -> g.fill(at.createTransformedShape(new Rectangle2D.Double(-0.14, -0.55, 0.28, 1.1)));
      case 3 -> g.fill(at.createTransformedShape(new Ellipse2D.Double(-0.24, -0.24, 0.48, 0.48)));
      case 4 -> {
        g.setStroke(new BasicStroke((float) (scale * 0.09)));
        g.draw(at.createTransformedShape(new Ellipse2D.Double(-0.38, -0.38, 0.76, 0.76)));
      }
      default -> {} // no mark
    }
    g.dispose();
    boxes.add(new DrawnObject("logo", clip(outline.getBounds())));
    noise(img, r);
    return img;
  }

  /**
   * Objects placed without overlap, each on its side of the centre line, or null when this pose
   * found no room (the caller draws again with the next random values).
   */
  BufferedImage drawObjects(List<ObjectSpec> specs, Random r, List<DrawnObject> boxes) {
    List<Rectangle> placed = new ArrayList<>();
    for (ObjectSpec s : specs) {
      int px = SIZE_PX[s.size()];
      Rectangle box = null;
      for (int attempt = 0; attempt < 200 && box == null; attempt++) {
        int lo = s.left() ? 1 : size / 2 + 3;
        int hi = s.left() ? size / 2 - 3 - px : size - 1 - px;
        int x = lo + r.nextInt(Math.max(1, hi - lo + 1));
        int y = 1 + r.nextInt(size - 1 - px);
        Rectangle cand = new Rectangle(x, y, px, px);
        Rectangle grown = new Rectangle(x - 1, y - 1, px + 2, px + 2);
        boolean free = true;
        for (Rectangle p : placed) {
          free &= !grown.intersects(p);
        }
        box = free ? cand : null;
      }
      if (box == null) {
        return null;
      }
      placed.add(box);
    }
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = graphics(img);
    background(g, r, false);
    for (int i = 0; i < specs.size(); i++) {
      ObjectSpec s = specs.get(i);
      Rectangle b = placed.get(i);
      float hue = (OBJECT_HUES[s.colour()] + (float) (r.nextGaussian() * 3)) / 360f;
      g.setColor(
          Color.getHSBColor(hue, 0.75f + 0.25f * r.nextFloat(), 0.8f + 0.2f * r.nextFloat()));
      g.fill(objectShape(s.shape(), b));
      boxes.add(new DrawnObject(s.describe(), b));
    }
    g.dispose();
    noise(img, r);
    return img;
  }

  private static Graphics2D graphics(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
    return g;
  }

  /** Low-saturation backgrounds so that no background reads as an object colour. */
  private void background(Graphics2D g, Random r, boolean busy) {
    Color a = Color.getHSBColor(r.nextFloat(), 0.12f * r.nextFloat(), 0.15f + 0.5f * r.nextFloat());
    Color b = Color.getHSBColor(r.nextFloat(), 0.12f * r.nextFloat(), 0.15f + 0.5f * r.nextFloat());
    if (busy || r.nextBoolean()) {
      g.setPaint(new GradientPaint(0, 0, a, r.nextInt(size), size, b));
    } else {
      g.setColor(a);
    }
    g.fillRect(0, 0, size, size);
    if (busy) { // a few faint stripes, so a logo is never on a plain field only
      g.setColor(new Color(b.getRed(), b.getGreen(), b.getBlue(), 90));
      for (int i = r.nextInt(3); i > 0; i--) {
        g.fillRect(0, r.nextInt(size), size, 1 + r.nextInt(2));
      }
    }
  }

  private void noise(BufferedImage img, Random r) {
    double sigma = 2 + 8 * r.nextDouble();
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int rgb = img.getRGB(x, y);
        int red = clamp(((rgb >> 16) & 255) + (int) Math.round(r.nextGaussian() * sigma));
        int green = clamp(((rgb >> 8) & 255) + (int) Math.round(r.nextGaussian() * sigma));
        int blue = clamp((rgb & 255) + (int) Math.round(r.nextGaussian() * sigma));
        img.setRGB(x, y, (red << 16) | (green << 8) | blue);
      }
    }
  }

  private static int clamp(int v) {
    return Math.max(0, Math.min(255, v));
  }

  private Rectangle clip(Rectangle b) {
    return b.intersection(new Rectangle(0, 0, size, size));
  }

  private static Shape logoShape(int kind) {
    return switch (kind) {
      case 0 -> new Ellipse2D.Double(-1, -1, 2, 2);
      case 1 -> new Rectangle2D.Double(-0.85, -0.85, 1.7, 1.7);
      case 2 -> polygon(3, -Math.PI / 2, 1.0, 1.0);
      case 3 -> polygon(4, -Math.PI / 2, 1.0, 1.0);
      case 4 -> polygon(6, 0, 1.0, 1.0);
      default -> polygon(10, -Math.PI / 2, 1.0, 0.5); // star
    };
  }

  private static Shape objectShape(int kind, Rectangle b) {
    double x = b.x;
    double y = b.y;
    double w = b.width;
    return switch (kind) {
      case 0 -> new Ellipse2D.Double(x, y, w, w);
      case 1 -> new Rectangle2D.Double(x, y, w, w);
      case 2 -> {
        Path2D.Double p = new Path2D.Double();
        p.moveTo(x + w / 2, y);
        p.lineTo(x + w, y + w);
        p.lineTo(x, y + w);
        p.closePath();
        yield p;
      }
      default -> {
        Path2D.Double p = new Path2D.Double();
        p.append(new Rectangle2D.Double(x + w / 3, y, w / 3, w), false);
        p.append(new Rectangle2D.Double(x, y + w / 3, w, w / 3), false);
        yield p;
      }
    };
  }

  /** A regular polygon (or a star when the inner radius differs) with the given vertex count. */
  private static Shape polygon(int n, double start, double outer, double inner) {
    Path2D.Double p = new Path2D.Double();
    for (int i = 0; i < n; i++) {
      double rad = i % 2 == 1 && inner != outer ? inner : outer;
      double a = start + 2 * Math.PI * i / n;
      if (i == 0) {
        p.moveTo(rad * Math.cos(a), rad * Math.sin(a));
      } else {
        p.lineTo(rad * Math.cos(a), rad * Math.sin(a));
      }
    }
    p.closePath();
    return p;
  }
}
