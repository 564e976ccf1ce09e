package io.editdb.model;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Reads the PNG bytes an edit or a question comes with, refusing anything else. */
final class PngImages {
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private PngImages() {}

  /**
   * The image of PNG bytes, which must be {@code size} x {@code size} pixels.
   *
   * @throws IllegalArgumentException for bytes that are not a readable PNG, or the wrong size
   */
  static BufferedImage decode(byte[] png, int size) {
    if (png == null || png.length < SIGNATURE.length || !startsWithSignature(png)) {
      throw new IllegalArgumentException(
          "image must be PNG bytes (starting 89 50 4E 47 0D 0A 1A 0A); got "
              + (png == null ? "null" : png.length + " bytes starting " + head(png))
              + "; encode the picture as PNG, e.g. ImageIO.write(image, \"png\", out)");
    }
    BufferedImage image;
    try {
      image = ImageIO.read(new ByteArrayInputStream(png));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "image has a PNG signature but cannot be read ("
              + e.getMessage()
              + "); "
              + png.length
              + " bytes; send the whole, undamaged PNG file",
          e);
    }
    if (image == null) {
      throw new IllegalArgumentException(
          "image has a PNG signature but no readable picture; "
              + png.length
              + " bytes; send the whole, undamaged PNG file");
    }
    if (image.getWidth() != size || image.getHeight() != size) {
      throw new IllegalArgumentException(
          "image must be "
              + size
              + "x"
              + size
              + " pixels for this host; it is "
              + image.getWidth()
              + "x"
              + image.getHeight()
              + "; scale or draw it at "
              + size
              + "x"
              + size);
    }
    if (image.getType() != BufferedImage.TYPE_INT_RGB) {
      // The host reads RGB pixels; PNGs come back as whatever type their colour model has.
      BufferedImage rgb = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
      rgb.getGraphics().drawImage(image, 0, 0, null);
      image = rgb;
    }
    return image;
  }

  private static boolean startsWithSignature(byte[] b) {
    for (int i = 0; i < SIGNATURE.length; i++) {
      if (b[i] != SIGNATURE[i]) {
        return false;
      }
    }
    return true;
  }

  private static String head(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(8, b.length); i++) {
      s.append(String.format(Locale.ROOT, "%02X ", b[i] & 0xff));
    }
    return s.toString().trim();
  }
}
