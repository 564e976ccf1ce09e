package io.editdb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.query.HostBinding;
import io.editdb.query.HostBindings;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The model module's host binding, found by the service loader, and its reading of PNGs. */
class LocalHostsTest {

  @Test
  void theServiceLoaderFindsRegisteredHostsByName() {
    try (SceneHost host = SceneHosts.untrained(new HostConfig(16, 1, 2, 16, 12), 3)) {
      LocalHosts.register(
          "local-hosts-test", host, Scenes.IMAGE_SIZE, FitExpertMaker.Options.defaults());
      try {
        assertTrue(HostBindings.all().stream().anyMatch(b -> b instanceof LocalHosts));
        HostBinding.Host h = HostBindings.find("local-hosts-test");
        assertEquals("local-hosts-test", h.name());
        assertEquals(16, h.hiddenSize());
        assertEquals(16, h.visualDim());
        assertEquals(16, h.textDim(), "the host's own question keys by default");
        assertEquals(List.of(16, 384), h.textDims(), "or the built-in encoder's");
        assertEquals(List.of("blocks.0"), h.modules());
        assertEquals(List.of("FIT"), h.makers());
        assertEquals(Scenes.IMAGE_SIZE, h.imageSize());
        assertSame(h, new LocalHosts().open("local-hosts-test"));
        assertTrue(
            new LocalHosts().hosts().containsAll(List.of("local-hosts-test", LocalHosts.SHIPPED)));
      } finally {
        LocalHosts.unregister("local-hosts-test");
      }
      assertNull(new LocalHosts().open("local-hosts-test"));
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> LocalHosts.register(" ", host, 32, FitExpertMaker.Options.defaults()));
      assertTrue(e.getMessage().contains("name= "), e.getMessage());
      assertThrows(
          IllegalArgumentException.class,
          () -> LocalHosts.register("x", host, 0, FitExpertMaker.Options.defaults()));
    }
  }

  @Test
  void pngsAreReadAndEverythingElseRefusedWithTheFix() throws IOException {
    BufferedImage gray = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
    gray.setRGB(3, 4, 0xffffff);
    BufferedImage read = PngImages.decode(png(gray), 32);
    assertEquals(BufferedImage.TYPE_INT_RGB, read.getType());
    assertEquals(0xffffff, read.getRGB(3, 4) & 0xffffff);
    assertRefused(null, "got null");
    assertRefused(new byte[] {1, 2}, "01 02");
    byte[] whole = png(gray);
    assertRefused(Arrays.copyOf(whole, 30), "undamaged");
    assertRefused(png(new BufferedImage(31, 32, BufferedImage.TYPE_INT_RGB)), "31x32");
  }

  private static void assertRefused(byte[] png, String says) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PngImages.decode(png, 32));
    assertTrue(e.getMessage().contains(says), e.getMessage() + " should mention " + says);
  }

  private static byte[] png(BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
