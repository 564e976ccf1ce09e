package io.editdb.model;

import java.awt.Rectangle;

/**
 * Where one thing was drawn in a scene, for attribution: what it is and the pixel box it covers.
 *
 * @param what {@code "logo"} for an entity's logo, else {@code "<size> <colour> <shape>"}
 * @param box bounding box in image pixels
 */
public record DrawnObject(String what, Rectangle box) {
  public DrawnObject {
    box = new Rectangle(box); // Rectangle is mutable; keep ours
  }

  @Override
  public Rectangle box() {
    return new Rectangle(box);
  }
}
