package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The layer hash of stores written before layers had a host keeps its value. */
class HistoryChainTest {
  private static Layer.Builder fixed() {
    return Layer.builder("l21", "llava-1.5-7b", "model.layers.21", 64, 64, 32, 384)
        .opt(LayerOption.EXPERT_KIND, ExpertKind.LIVEEDIT)
        .opt(LayerOption.VISUAL_THRESHOLD, 0.5);
  }

  /** Computed by the code of version 4 of the schema, before host and maker existed. */
  private static final String V4_HASH =
      "f5442401772ea5818051855b421763f0879dee1d57f5ab9e1533cf668f9a11cd";

  @Test
  void aLayerWithoutHostHashesAsBeforeHostsExisted() {
    assertEquals(V4_HASH, HistoryChain.layerHash(fixed().build().withIdentity(3, 7)));
  }

  @Test
  void hostAndMakerAreCovered() {
    String bound =
        HistoryChain.layerHash(
            fixed().optHost("editdb-scenes-v2").optMaker("FIT").build().withIdentity(3, 7));
    assertNotEquals(V4_HASH, bound);
    assertNotEquals(
        bound,
        HistoryChain.layerHash(
            fixed().optHost("editdb-scenes-v3").optMaker("FIT").build().withIdentity(3, 7)));
    assertTrue(bound.matches("[0-9a-f]{64}"));
  }

  @Test
  void aBoundLayerIsStoredReadBackAndVerifiesBesideAnOldStyleOne() throws Exception {
    try (EditStore s = EditStore.open(Fixtures.mem())) {
      s.createLayer(Fixtures.layer("plain").build(), "ana");
      Layer bound =
          s.createLayer(
              Fixtures.layer("bound").optHost("editdb-scenes-v2").optMaker("FIT").build(), "ana");
      assertEquals("editdb-scenes-v2", bound.host());
      assertEquals("FIT", bound.maker());
      assertEquals(null, s.layer("plain").host());
      assertTrue(s.verifyHistory().ok(), s.verifyHistory().toString());
      try (java.sql.Connection c = s.connectAs(Role.AUDITOR);
          java.sql.ResultSet rs =
              c.createStatement()
                  .executeQuery("SELECT host, maker FROM layers WHERE name = 'bound'")) {
        assertTrue(rs.next(), "the view shows the new columns");
        assertEquals("editdb-scenes-v2", rs.getString(1));
        assertEquals("FIT", rs.getString(2));
      }
    }
  }

  @Test
  void aMakerWithoutHostIsRefused() {
    StoreException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            StoreException.class, () -> fixed().optMaker("FIT").build());
    assertTrue(e.getMessage().contains("HOST"), e.getMessage());
    e =
        org.junit.jupiter.api.Assertions.assertThrows(
            StoreException.class, () -> fixed().optHost("h").optMaker("fit").build());
    assertTrue(e.getMessage().contains("maker=fit"), e.getMessage());
  }

  /** An edit's content hash over fixed fields, with the two of schema version 7 given. */
  private static String edit(String prompt, int[] mask, String region) {
    java.time.OffsetDateTime at = java.time.OffsetDateTime.parse("2026-12-04T12:00:00Z");
    return HistoryChain.editHash(
        42,
        "l21",
        prompt,
        "red",
        "coco/1.jpg",
        new byte[] {1, 2},
        new byte[] {3},
        new byte[] {4},
        new byte[] {5},
        "F32",
        4,
        1f,
        "ana",
        "why",
        9,
        at,
        mask,
        region);
  }

  /**
   * An edit without a region, hashed as before schema version 7 added token_mask and query_region
   * (the same fields in the same order; computed when they were added).
   */
  private static final String V6_EDIT_HASH =
      "e2c58f49af5571e046aeff9cf1cedfb9c51944c92ebfd9d55fbf6603e3ad50e3";

  @Test
  void anEditsHashCoversTheRegionOnlyWhenItHasOne() {
    assertEquals(V6_EDIT_HASH, edit("what colour?", null, null), "no region: hashed as before");
    assertNotEquals(V6_EDIT_HASH, edit("what colour!", null, null), "the prompt is covered");
    String masked = edit("what colour?", new int[] {1, 2}, null);
    assertNotEquals(V6_EDIT_HASH, masked, "a mask is covered");
    assertNotEquals(masked, edit("what colour?", new int[] {1, 3}, null), "so is each position");
    assertNotEquals(masked, edit("what colour?", new int[] {1, 2}, "TOP 2"), "and the rule");
    // the fields of a row and its neighbour's hash chain it: a changed seq or prev hash shows
    String row =
        HistoryChain.rowHash(
            HistoryChain.FORMAT, "p", 1, 2, 42L, "l21", "INSERT", "ana", null, "why", masked);
    assertNotEquals(
        row,
        HistoryChain.rowHash(
            HistoryChain.FORMAT, "q", 1, 2, 42L, "l21", "INSERT", "ana", null, "why", masked));
    assertNotEquals(
        row,
        HistoryChain.rowHash(
            HistoryChain.FORMAT, "p", 2, 2, 42L, "l21", "INSERT", "ana", null, "why", masked));
  }
}
