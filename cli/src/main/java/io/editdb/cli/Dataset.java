package io.editdb.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads an E-VQA / E-IC file: a JSON array of records with the fields of {@link EditCase}. */
public final class Dataset {
  private Dataset() {}

  /**
   * The first {@code limit} records of the file (all when limit is 0 or less), in file order: the
   * benchmark inserts them in that order, so the order is part of the result.
   */
  public static List<EditCase> load(Path file, int limit) throws IOException {
    JsonElement root;
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      root = JsonParser.parseReader(r);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "cannot parse "
              + file
              + " as JSON: "
              + e.getMessage()
              + ". Give a file in the E-VQA/E-IC format (a JSON array of records)",
          e);
    }
    if (!root.isJsonArray()) {
      throw new IllegalArgumentException(
          file
              + " must hold a JSON array of edit records; it"
              + " holds a "
              + (root.isJsonObject() ? "JSON object" : root.toString())
              + ". Give vqa_eval.json or caption_eval_edit.json (not nq_locality_validation.json)");
    }
    JsonArray array = root.getAsJsonArray();
    int n = limit > 0 ? Math.min(limit, array.size()) : array.size();
    List<EditCase> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      if (!array.get(i).isJsonObject()) {
        throw new IllegalArgumentException(file + ": record " + i + " is not a JSON object");
      }
      JsonObject o = array.get(i).getAsJsonObject();
      out.add(
          new EditCase(
              i,
              field(file, o, i, "src"),
              field(file, o, i, "rephrase"),
              field(file, o, i, "alt"),
              field(file, o, i, "image"),
              field(file, o, i, "image_rephrase"),
              field(file, o, i, "loc"),
              field(file, o, i, "m_loc"),
              field(file, o, i, "m_loc_q")));
    }
    return out;
  }

  private static String field(Path file, JsonObject o, int i, String name) {
    JsonElement e = o.get(name);
    if (e == null || e.isJsonNull() || !e.isJsonPrimitive()) {
      throw new IllegalArgumentException(
          file
              + ": record "
              + i
              + " lacks the text field '"
              + name
              + "'; every record needs src, rephrase, alt, image, image_rephrase, loc, m_loc and"
              + " m_loc_q (format: docs/formats.md)");
    }
    return e.getAsString();
  }
}
