package io.editdb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The self-contained jars as users get them, after {@code package}: what is inside them, and the
 * driver jar working in a JVM of its own beside a Flyway of another major version (a GUI tool's or
 * an application's), which used to stop every store from opening.
 */
class DriverJarIT {
  private static final Path TARGET = Path.of("target");

  @Test
  void jarsHoldLinuxNativesOnlyAndNoDebugSymbols() throws IOException {
    for (String jar : List.of("editdb.jar", "editdb-driver.jar")) {
      List<String> bad = new ArrayList<>();
      try (ZipFile z = new ZipFile(TARGET.resolve(jar).toFile())) {
        z.stream()
            .map(ZipEntry::getName)
            .filter(DriverJarIT::foreignOrDebug)
            .limit(5)
            .forEach(bad::add);
        assertTrue(z.getEntry("pytorch/cpu/linux-x86_64/libtorch_cpu.so") != null, jar);
        assertTrue(z.getEntry("ai/onnxruntime/native/linux-x64/libonnxruntime.so") != null, jar);
      }
      assertEquals(List.of(), bad, jar + " carries natives of other platforms or debug symbols");
      System.out.printf(Locale.ROOT, "%s: %,d bytes%n", jar, Files.size(TARGET.resolve(jar)));
    }
  }

  private static boolean foreignOrDebug(String name) {
    return name.endsWith(".pdb")
        || name.contains(".dSYM/")
        || name.matches("(ai/onnxruntime/native|native/lib|jnilib)/(win|osx|linux-aarch64).*");
  }

  @Test
  void driverJarRelocatesWhatCouldClashAndHasNoCommandLine() throws IOException {
    try (ZipFile z = new ZipFile(TARGET.resolve("editdb-driver.jar").toFile())) {
      List<String> names = z.stream().map(ZipEntry::getName).toList();
      for (String prefix :
          List.of("org/flywaydb/", "com/fasterxml/jackson/", "org/slf4j/", "com/google/gson/")) {
        assertFalse(names.stream().anyMatch(n -> n.startsWith(prefix)), prefix + " not relocated");
      }
      assertTrue(names.contains("io/editdb/shaded/flywaydb/core/Flyway.class"));
      assertTrue(names.contains("io/editdb/driver/EditDbDriver.class"));
      assertTrue(names.contains("io/editdb/model/SceneHost.class"), "host models are in it");
      assertFalse(names.stream().anyMatch(n -> n.startsWith("io/editdb/cli/")));
      assertFalse(names.stream().anyMatch(n -> n.startsWith("sqlline/")));
    }
  }

  @Test
  void driverJarOpensAStoreBesideAnotherFlyway(@TempDir Path dir) throws Exception {
    Path flyway13 = TARGET.resolve("jar-it/flyway-core.jar");
    String cp =
        String.join(
            File.pathSeparator,
            TARGET.resolve("editdb-driver.jar").toString(),
            flyway13.toString(),
            TARGET.resolve("test-classes").toString());
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java,
                "--add-modules",
                "jdk.incubator.vector",
                "-cp",
                cp,
                DriverJarProbe.class.getName(),
                dir.resolve("store").toString())
            .redirectErrorStream(false)
            .start();
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "probe did not finish");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out + err);
    assertTrue(out.contains("edits 1 green"), out);
    // The libraries' INFO progress (Hikari, Flyway) stays out of the tool's console.
    assertFalse(err.contains(" INFO "), err);
  }
}
