package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The config's options: each changes its own setting in a copy and nothing else. */
class StoreConfigTest {

  /** Every setting an option can change, in one comparable value. */
  private static List<Object> settings(StoreConfig c) {
    return List.of(
        c.location(),
        c.poolSize(),
        c.writeLockTimeout(),
        c.indexCommitEveryVersions(),
        c.hnswMaxConn(),
        c.hnswBeamWidth(),
        c.segmentMaxSpans(),
        c.routingCopyBytes());
  }

  @Test
  void eachOptionChangesOnlyItsSettingInACopy() {
    StoreConfig base = StoreConfig.directory(Path.of("target", "config-test"));
    List<Object> before = settings(base);
    List<Function<StoreConfig, StoreConfig>> options =
        List.of(
            c -> c.optPoolSize(7),
            c -> c.optWriteLockTimeout(Duration.ofMillis(5)),
            c -> c.optIndexCommitEveryVersions(3),
            c -> c.optHnsw(8, 50),
            c -> c.optSegmentMaxSpans(2_000),
            c -> c.optRoutingCopyBytes(1234));
    // the settings index (in settings()) each option changes
    int[][] changes = {{1}, {2}, {3}, {4, 5}, {6}, {7}};
    for (int i = 0; i < options.size(); i++) {
      List<Object> after = settings(options.get(i).apply(base));
      for (int s = 0; s < before.size(); s++) {
        final int setting = s;
        boolean changed = java.util.Arrays.stream(changes[i]).anyMatch(x -> x == setting);
        assertEquals(
            !changed,
            before.get(s).equals(after.get(s)),
            "option " + i + ", setting " + s + ": " + before + " -> " + after);
      }
      assertEquals(before, settings(base), "the original config must not change");
    }
    // every option after the others: each copy carries what the earlier ones set
    StoreConfig all = base;
    for (Function<StoreConfig, StoreConfig> o : options) {
      all = o.apply(all);
    }
    assertEquals(
        List.of(base.location(), 7, Duration.ofMillis(5), 3, 8, 50, 2_000, 1234L), settings(all));
  }

  @Test
  void theStoreKindSurvivesOptions() {
    StoreConfig mem = StoreConfig.inMemory("cfg").optPoolSize(4);
    assertTrue(mem.inMemory());
    assertEquals("cfg", mem.memoryName());
    StoreConfig pg =
        StoreConfig.postgres("jdbc:postgresql://h:1/db", "owner", null, Path.of("target", "pgi"))
            .optSegmentMaxSpans(5_000);
    assertTrue(pg.shared());
    assertEquals("", pg.postgres().password());
    assertNull(pg.memoryName());
  }

  @Test
  void badValuesAreRefusedNamingTheRule() {
    StoreConfig base = StoreConfig.inMemory("cfg-bad");
    List<Object> before = settings(base);
    assertRefused(() -> base.optPoolSize(1), "pool size must be between 2 and 256");
    assertRefused(() -> base.optWriteLockTimeout(Duration.ofSeconds(-1)), "zero or positive");
    assertRefused(() -> base.optIndexCommitEveryVersions(0), "at least 1 version");
    assertRefused(() -> base.optHnsw(1, 100), "maxConn must be in [2, 512]");
    assertRefused(() -> base.optSegmentMaxSpans(999), "at least 1,000 spans");
    assertRefused(() -> base.optRoutingCopyBytes(-5), "0 (off) or a positive number");
    assertEquals(before, settings(base));
  }

  private static void assertRefused(Runnable r, String rule) {
    StoreException e = assertThrows(StoreException.class, r::run);
    assertEquals(StoreException.Kind.INVALID_VALUE, e.kind());
    assertTrue(e.getMessage().contains(rule), e.getMessage());
  }
}
