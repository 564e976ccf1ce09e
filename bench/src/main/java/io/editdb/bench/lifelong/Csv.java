package io.editdb.bench.lifelong;

import io.editdb.bench.lifelong.SequentialRun.Row;
import io.editdb.bench.lifelong.Sweep.Scored;
import io.editdb.store.Layer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The machine-readable results. Every row says where its visual keys came from (column {@code
 * visual_keys}), so the caveat travels with the numbers; n/a values are empty cells.
 */
public final class Csv {
  static final String PATH_KEYS = "derived_from_image_path";

  private Csv() {}

  /** results.csv: one row per layer kind x gate mode x router x checkpoint. */
  public static void results(Path file, String dataset, List<Row> rows) throws IOException {
    Layer defaults =
        Setting.defaults(io.editdb.store.GateMode.LIVEEDIT).layer("x", LayerKind.VISUAL);
    StringBuilder sb =
        new StringBuilder(
            "measures,dataset,layer_kind,visual_keys,gate,router,edits,"
                + "sampled,rel,t_gen,m_gen,m_loc,t_loc,mean,latency_median_ms,latency_p99_ms,"
                + "timed_routes,same_as_exact,visual_threshold,text_scale,temperature,null_logit,"
                + "min_gate,top_k,max_candidates,load_average\n");
    for (Row r : rows) {
      Setting s = r.setting();
      sb.append(
              join(
                  "routing_upper_bound",
                  dataset,
                  r.config().kind().label(),
                  keys(r.config().kind()),
                  r.config().gate().name(),
                  r.router().name(),
                  r.edits(),
                  r.sampled(),
                  rates(r.rates()),
                  num(r.mean()),
                  num(r.medianMs()),
                  num(r.p99Ms()),
                  r.timed(),
                  num(r.sameAsExact()),
                  num(s.visualThreshold()),
                  num(s.textScale()),
                  num(s.temperature()),
                  num(s.nullLogit()),
                  num(defaults.minGate()),
                  defaults.topK(),
                  defaults.maxCandidates(),
                  num(r.loadAverage())))
          .append('\n');
    }
    Files.writeString(file, sb, StandardCharsets.UTF_8);
  }

  /**
   * sweep.csv: one row per sweep x layer kind x gate mode x setting of the grid. A sweep is either
   * the one on the first edits ({@code edits_in_store == probed_edits}) or the re-score at the
   * final checkpoint (a sample of a fuller store).
   */
  public static void sweep(
      Path file, String dataset, List<Sweep.Result> results, Map<LayerConfig, Setting> chosen)
      throws IOException {
    StringBuilder sb =
        new StringBuilder(
            "dataset,layer_kind,visual_keys,gate,edits_in_store,"
                + "probed_edits,visual_threshold,text_scale,temperature,null_logit,null_ratio,rel,t_gen,"
                + "m_gen,m_loc,t_loc,mean,neighbour_mean,is_best,is_chosen,is_default\n");
    for (Sweep.Result result : results) {
      for (Map.Entry<LayerConfig, List<Scored>> e : result.all().entrySet()) {
        Setting best = result.best().get(e.getKey()).setting();
        Setting def = Setting.defaults(e.getKey().gate());
        for (Scored s : e.getValue()) {
          Setting t = s.setting();
          sb.append(
                  join(
                      dataset,
                      e.getKey().kind().label(),
                      keys(e.getKey().kind()),
                      t.gate().name(),
                      result.edits(),
                      result.probed(),
                      num(t.visualThreshold()),
                      num(t.textScale()),
                      num(t.temperature()),
                      num(t.nullLogit()),
                      num(t.nullLogit() / t.textScale()),
                      rates(s.rates()),
                      num(s.mean()),
                      num(s.neighbourMean()),
                      t.equals(best),
                      t.equals(chosen.get(e.getKey())),
                      t.equals(def)))
              .append('\n');
        }
      }
    }
    Files.writeString(file, sb, StandardCharsets.UTF_8);
  }

  private static String keys(LayerKind kind) {
    return kind.visual() ? PATH_KEYS : "none";
  }

  /** Five cells, one per metric (joined by {@link #join} as separate cells). */
  private static Object[] rates(double[] r) {
    Object[] cells = new Object[r.length];
    for (int i = 0; i < r.length; i++) {
      cells[i] = num(r[i]);
    }
    return cells;
  }

  static String num(double v) {
    if (Double.isNaN(v)) {
      return "";
    }
    String s = String.format(Locale.ROOT, "%.6f", v);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  /** One CSV line; an Object[] among the cells is spread into cells of its own. */
  private static String join(Object... cells) {
    StringBuilder sb = new StringBuilder();
    boolean first = true;
    for (Object cell : cells) {
      Object[] parts = cell instanceof Object[] a ? a : new Object[] {cell};
      for (Object p : parts) {
        String c = String.valueOf(p);
        if (c.contains(",") || c.contains("\"") || c.contains("\n")) {
          c = "\"" + c.replace("\"", "\"\"") + "\"";
        }
        sb.append(first ? "" : ",").append(c);
        first = false;
      }
    }
    return sb.toString();
  }
}
