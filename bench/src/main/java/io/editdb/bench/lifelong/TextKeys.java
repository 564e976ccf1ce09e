package io.editdb.bench.lifelong;

import io.editdb.cli.EditCase;
import io.editdb.query.TextEncoder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Text keys of every text the benchmark needs, from the built-in encoder, computed once up front so
 * that encoding never shows up in insert or routing times. Texts repeat a lot (the same loc and
 * m_loc_q questions serve many records), so each distinct text is encoded once.
 */
public final class TextKeys {
  // Texts per encoder call: large enough for the encoder's own batching, small enough for a
  // progress bar that moves.
  private static final int CHUNK = 256;
  private final Map<String, float[]> keys;

  private TextKeys(Map<String, float[]> keys) {
    this.keys = keys;
  }

  /** Encodes src, rephrase, loc and m_loc_q of every case, with a progress bar. */
  public static TextKeys encode(TextEncoder encoder, List<EditCase> cases) {
    Set<String> distinct = new LinkedHashSet<>();
    for (EditCase c : cases) {
      distinct.add(c.src());
      distinct.add(c.rephrase());
      distinct.add(c.loc());
      distinct.add(c.mLocQ());
    }
    List<String> texts = new ArrayList<>(distinct);
    // Similar lengths in one call keep the padding (wasted encoder work) small.
    texts.sort(Comparator.comparingInt(String::length));
    Map<String, float[]> keys = new HashMap<>(texts.size() * 2);
    Progress bar = new Progress("encoding texts", texts.size());
    bar.note(texts.size() + " distinct texts, " + encoder.modelName());
    for (int from = 0; from < texts.size(); from += CHUNK) {
      List<String> chunk = texts.subList(from, Math.min(texts.size(), from + CHUNK));
      float[][] emb = encoder.encodeBatch(chunk);
      for (int i = 0; i < emb.length; i++) {
        keys.put(chunk.get(i), emb[i]);
      }
      bar.step(chunk.size());
    }
    bar.done();
    return new TextKeys(keys);
  }

  /** A table of keys given directly (tests). */
  static TextKeys of(Map<String, float[]> keys) {
    return new TextKeys(Map.copyOf(keys));
  }

  public float[] get(String text) {
    float[] k = keys.get(text);
    if (k == null) {
      throw new IllegalStateException(
          "no text key for \""
              + text
              + "\"; encode() covers src,"
              + " rephrase, loc and m_loc_q of the cases it was given");
    }
    return k;
  }

  public int size() {
    return keys.size();
  }
}
