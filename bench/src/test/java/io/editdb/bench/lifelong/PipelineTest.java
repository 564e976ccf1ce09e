package io.editdb.bench.lifelong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.bench.lifelong.SequentialRun.Row;
import io.editdb.cli.Dataset;
import io.editdb.cli.EditCase;
import io.editdb.cli.VisualKeys;
import io.editdb.store.SearchMode;
import io.editdb.store.StoreConfig;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark end to end on a small file of records (no text encoder: text keys are seeded
 * vectors, paraphrases near their prompts), from JSON to CSV and PNG.
 */
class PipelineTest {
  @TempDir Path dir;

  @Test
  void sweepRunCsvAndCharts() throws Exception {
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < 40; i++) {
      int img = i / 3; // three questions per image, as in E-VQA
      json.append(i == 0 ? "" : ",")
          .append(
              String.format(
                  Locale.ROOT,
                  "{\"src\":\"q%d\",\"rephrase\":\"r%d\",\"alt\":\"a\",\"pred\":\"p\","
                      + "\"image\":\"val/%d.jpg\",\"image_rephrase\":\"reph/%d.png\",\"loc\":\"l%d\","
                      + "\"loc_ans\":\"x\",\"m_loc\":\"val/%d.jpg\",\"m_loc_q\":\"m%d\","
                      + "\"m_loc_a\":\"y\"}",
                  i,
                  i,
                  img,
                  i,
                  i % 5,
                  i % 7 == 0 ? img : 1000 + i,
                  i));
    }
    Path file = dir.resolve("tiny.json");
    Files.writeString(file, json.append("]"), StandardCharsets.UTF_8);
    List<EditCase> cases = Dataset.load(file, 0);
    assertEquals(40, cases.size());
    TextKeys text = fakeTextKeys(cases);
    VisualKeys visual = new VisualKeys(0.9);

    Sweep.Result sweep = new Sweep(cases.subList(0, 20), visual, text, Sweep.Grid.quick()).run();
    assertTrue(sweep.check().contains("on 360 of 360 probes; HNSW"), sweep.check());
    assertEquals(4, sweep.best().size());
    Map<LayerConfig, Setting> chosen = new LinkedHashMap<>();
    sweep.best().forEach((c, s) -> chosen.put(c, s.setting()));

    SequentialRun run =
        new SequentialRun(cases, chosen, visual, text, 25, 5, 1)
            .withWarmup(10, 0)
            .withFinalSweep(Sweep.Grid.quick());
    List<Row> rows = run.run(StoreConfig.directory(dir.resolve("store")));
    Sweep.Result last = run.finalSweep();
    assertEquals(40, last.edits());
    assertEquals(25, last.probed());
    assertEquals(4 * 2 * 3, rows.size()); // layers x routers x checkpoints 1, 10, 40
    for (Row r : rows) {
      assertEquals(Math.min(r.edits(), 25), r.sampled());
      assertTrue(r.medianMs() > 0, r.toString());
      if (r.edits() == 1) {
        assertEquals(1.0, r.rates()[Metric.REL.ordinal()], r.toString());
      }
      if (r.router() == SearchMode.HNSW && r.edits() <= 40) {
        assertEquals(1.0, r.sameAsExact(), 1e-9, "HNSW is exact at this size: " + r);
      }
      if (r.router() == SearchMode.EXACT && r.edits() == 40) {
        // the re-scored grid and the real Router saw the same sample: same numbers
        assertArrayEquals(
            r.rates(), Sweep.find(last, r.config(), r.setting()).rates(), 1e-12, r.toString());
      }
    }

    Csv.results(dir.resolve("results.csv"), "tiny.json", rows);
    Csv.sweep(dir.resolve("sweep.csv"), "tiny.json", List.of(sweep, last), chosen);
    List<String> lines = Files.readAllLines(dir.resolve("results.csv"));
    assertEquals(rows.size() + 1, lines.size());
    assertTrue(lines.get(1).contains(Csv.PATH_KEYS), lines.get(1));
    List<String> sweepLines = Files.readAllLines(dir.resolve("sweep.csv"));
    assertEquals(1 + 2 * 2 * (16 + 64), sweepLines.size());
    for (List<String> csv : List.of(lines, sweepLines)) {
      int columns = csv.get(0).split(",").length;
      for (String line : csv) {
        assertEquals(columns, line.split(",", -1).length, line);
      }
    }
    Charts.metrics(dir.resolve("metrics.png"), rows, "t", "n", 40);
    Charts.latency(dir.resolve("latency.png"), rows, "t", "n", 40);
    for (String png : List.of("metrics.png", "latency.png")) {
      BufferedImage img = ImageIO.read(dir.resolve(png).toFile());
      assertNotNull(img, png);
      assertTrue(img.getWidth() > 800, png);
    }
  }

  /** Seeded unit vectors; a paraphrase "rN" sits near its prompt "qN" (cosine about 0.8). */
  private static TextKeys fakeTextKeys(List<EditCase> cases) {
    Map<String, float[]> keys = new HashMap<>();
    List<String> texts = new ArrayList<>();
    for (EditCase c : cases) {
      texts.addAll(List.of(c.src(), c.rephrase(), c.loc(), c.mLocQ()));
    }
    for (String t : texts) {
      if (t.startsWith("r")) {
        float[] base =
            RoutingMathTest.unit(new Random(("q" + t.substring(1)).hashCode()), 384, null, 0);
        keys.put(t, RoutingMathTest.unit(new Random(t.hashCode()), 384, base, 0.75));
      } else {
        keys.put(t, RoutingMathTest.unit(new Random(t.hashCode()), 384, null, 0));
      }
    }
    return TextKeys.of(keys);
  }
}
