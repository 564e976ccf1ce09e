package io.editdb.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ApplierConfigTest {

  @Test
  void testToString() {
    assertEquals(
        "ApplierConfig{engine=PyTorch, device=auto, cacheBytes=268435456, layout=AUTO}",
        ApplierConfig.defaults().toString());
    assertEquals(
        "ApplierConfig{engine=PyTorch, device=gpu:1, cacheBytes=1024, layout=SHARED}",
        ApplierConfig.cacheBytes(1024)
            .optDevice(" GPU:1 ")
            .optLayout(ApplierConfig.Layout.SHARED)
            .toString());
  }

  @Test
  void testLimits() {
    assertEquals(1, ApplierConfig.cacheBytes(1).cacheBytes());
    assertEquals(Long.MAX_VALUE, ApplierConfig.cacheBytes(Long.MAX_VALUE).cacheBytes());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ApplierConfig.cacheBytes(0));
    assertTrue(e.getMessage().contains("cacheBytes=0"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ApplierConfig.cacheBytes(-1));

    for (String ok : new String[] {"auto", "cpu", "gpu", "gpu:0", "gpu:999"}) {
      assertEquals(ok, ApplierConfig.defaults().optDevice(ok).device());
    }
    for (String bad : new String[] {null, "", "tpu", "gpu:", "gpu:1000", "gpu:-1", "cpu:0"}) {
      e =
          assertThrows(
              IllegalArgumentException.class, () -> ApplierConfig.defaults().optDevice(bad));
      assertTrue(e.getMessage().contains("device=" + bad), e.getMessage());
    }
  }

  @Test
  void optReturnsNewConfigAndLeavesTheOldOne() {
    ApplierConfig base = ApplierConfig.defaults();
    ApplierConfig cpu = base.optDevice("cpu");
    assertEquals("auto", base.device());
    assertEquals("cpu", cpu.device());
    assertEquals(ApplierConfig.DEFAULT_CACHE_BYTES, cpu.cacheBytes());
    ApplierConfig shared = cpu.optLayout(ApplierConfig.Layout.SHARED);
    assertEquals(ApplierConfig.Layout.AUTO, cpu.layout());
    assertEquals(ApplierConfig.Layout.SHARED, shared.layout());
    assertEquals("cpu", shared.device());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> cpu.optLayout(null));
    assertTrue(e.getMessage().contains("layout=null"), e.getMessage());
  }

  @Test
  void missingGpuIsRefusedAtCreation() {
    // On a machine with a GPU this asks for one that surely is not there.
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ExpertApplier.create(ApplierConfig.defaults().optDevice("gpu:999"), id -> null));
    assertTrue(e.getMessage().contains("use device auto or cpu"), e.getMessage());
  }
}
