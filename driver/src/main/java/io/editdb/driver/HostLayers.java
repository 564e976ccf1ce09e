package io.editdb.driver;

import io.editdb.query.HostBinding;
import io.editdb.query.HostBindings;
import io.editdb.store.Layer;
import io.editdb.store.NewEdit;
import io.editdb.store.WeightDtype;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Blob;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The host side of EditDB's statements: {@code CREATE LAYER ... (HOST 'h', MODULE 'm' [, MAKER
 * FIT])} takes the layer's widths from the host, and {@code INSERT INTO edits (layer, prompt,
 * target, image)} has the host make the edit's keys and expert from the image. Hosts are reached
 * through {@link HostBindings} (module editdb-model on the class path), never compiled against.
 */
final class HostLayers {
  /** Columns an image replaces: the host computes them. */
  static final List<String> COMPUTED =
      List.of("visual_key", "text_key", "expert_a", "expert_b", "rank", "alpha", "image_ref");

  /** Prefix of image_ref for an edit inserted with its image: the SHA-256 of its PNG bytes. */
  static final String IMAGE_REF_PREFIX = "sha256:";

  private HostLayers() {}

  /** The builder of a layer bound to the host named by option HOST. */
  static Layer.Builder builder(String name, Map<String, Object> o) throws SQLException {
    HostBinding.Host host = HostBindings.find(Values.text(required(o, "HOST"), "HOST"));
    String module = Values.text(required(o, "MODULE"), "MODULE");
    if (!host.modules().contains(module)) {
      throw ErrorCode.INVALID_VALUE.exception(
          "MODULE '"
              + module
              + "' is not a layer of host "
              + host.name()
              + "; its layers are "
              + host.modules()
              + ". Pick one of them");
    }
    int d = agree(o, "D_IN", host.hiddenSize(), host);
    agree(o, "D_OUT", host.hiddenSize(), host);
    int visual = agree(o, "VISUAL_DIM", host.visualDim(), host);
    int text = host.textDim();
    if (o.containsKey("TEXT_DIM")) {
      long v = Values.integer(required(o, "TEXT_DIM"), "TEXT_DIM");
      if (!host.textDims().contains((int) v) || v != (int) v) {
        throw ErrorCode.INVALID_VALUE.exception(
            "TEXT_DIM "
                + v
                + " is not a text key width of"
                + " host "
                + host.name()
                + ", which keys questions with widths "
                + host.textDims()
                + "; leave TEXT_DIM out for "
                + host.textDim()
                + " or give one of them");
      }
      text = (int) v;
    }
    String maker = host.makers().get(0);
    if (o.containsKey("MAKER")) {
      maker = Values.text(required(o, "MAKER"), "MAKER").toUpperCase(Locale.ROOT);
      if (!host.makers().contains(maker)) {
        throw ErrorCode.INVALID_VALUE.exception(
            "MAKER must be one of "
                + host.makers()
                + " for host "
                + host.name()
                + "; MAKER="
                + maker
                + ". Leave MAKER out for "
                + host.makers().get(0));
      }
    }
    String model = o.containsKey("MODEL") ? Values.text(o.get("MODEL"), "MODEL") : host.name();
    return Layer.builder(name, model, module, d, d, visual, text)
        .optHost(host.name())
        .optMaker(maker);
  }

  /** An explicit width must be the host's; absent, it is taken from the host. */
  private static int agree(Map<String, Object> o, String key, int hosts, HostBinding.Host host)
      throws SQLException {
    if (!o.containsKey(key)) {
      return hosts;
    }
    Long v = Values.integer(required(o, key), key);
    if (v != hosts) {
      throw ErrorCode.INVALID_VALUE.exception(
          key
              + " "
              + v
              + " disagrees with host "
              + host.name()
              + ", whose "
              + key.toLowerCase(Locale.ROOT)
              + " is "
              + hosts
              + "; leave "
              + key
              + " out (it comes from the host)"
              + " or give "
              + hosts);
    }
    return hosts;
  }

  private static Object required(Map<String, Object> o, String key) throws SQLException {
    Object v = o.get(key);
    if (v == null) {
      throw ErrorCode.INVALID_VALUE.exception(key + " must not be NULL; give a value");
    }
    return v;
  }

  /**
   * The edit an image makes on a layer bound to a host: keys and expert from the host's maker,
   * image_ref the SHA-256 of the PNG bytes. Refuses, before anything is written, columns the image
   * computes, a layer without a host, and what the host refuses (not a PNG, the wrong size, a
   * target outside its answers).
   */
  static NewEdit fromImage(Layer layer, Map<String, Object> v, List<String> columns)
      throws SQLException {
    for (String c : COMPUTED) {
      if (columns.contains(c)) {
        throw ErrorCode.INVALID_VALUE.exception(
            "column "
                + c
                + " is computed from the image, so it must be left out when image is"
                + " given; give either image, or the keys and weights yourself");
      }
    }
    if (!layer.hasHost()) {
      throw ErrorCode.NO_HOST.exception(
          "layer "
              + layer.name()
              + " is bound to no host, so an image cannot be made into keys"
              + " and an expert; give visual_key, expert_a and expert_b instead, or insert into"
              + " a layer created with HOST '<host>', MODULE '<layer>'");
    }
    byte[] png = bytes(v.get("image"));
    String prompt = Values.text(v.get("prompt"), "prompt");
    String target = Values.text(v.get("target"), "target");
    String dtypeText = Values.text(v.get("weight_dtype"), "weight_dtype");
    WeightDtype dtype = dtypeText == null ? WeightDtype.F32 : WeightDtype.parse(dtypeText);
    HostBinding.Host host = HostBindings.find(layer.host());
    HostBinding.Region region = region(host, v.get("token_mask"));
    String rule = null;
    if (v.get("query_region") != null) {
      if (region != null) {
        throw ErrorCode.INVALID_VALUE.exception(
            "token_mask and query_region were both given;"
                + " give token_mask for a region fixed in every query, or query_region for one"
                + " chosen again in each query");
      }
      region = region(host, Values.text(v.get("query_region"), "query_region"));
      rule = region.rule();
      if (rule == null) {
        throw ErrorCode.INVALID_VALUE.exception(
            "query_region '"
                + v.get("query_region")
                + "' is the same in every query; give it as token_mask, or give query_region"
                + " 'TOP k' or 'MASS p'");
      }
    }
    HostBinding.MadeEdit m;
    try {
      m = host.makeEdit(layer, png, prompt, target, region);
    } catch (IllegalArgumentException e) { // the host's refusal of the input (HostBinding.Host)
      throw HostBindings.refused(e);
    }
    return NewEdit.builder(layer.name(), prompt, target)
        .imageRef(IMAGE_REF_PREFIX + sha256(png))
        .visualKey(m.visualKey())
        .textKey(m.textKey())
        .weights(m.a(), m.b(), m.rank(), m.alpha(), dtype)
        .author(Values.text(v.get("author"), "author"))
        .reason(Values.text(v.get("reason"), "reason"))
        .tokenMask(m.tokenMask())
        .queryRegion(rule)
        .build();
  }

  /**
   * The region of an edit made from an image: positions, or a region the host chooses by
   * attribution ({@link HostBinding.Region#parse}); null for every position.
   */
  private static HostBinding.Region region(HostBinding.Host host, Object v) throws SQLException {
    if (v == null) {
      return null;
    }
    if (v instanceof String || v instanceof java.sql.Clob) {
      return HostBinding.Region.parse(Values.text(v, "token_mask"));
    }
    int[] p = checked(Values.positions(v, "token_mask"), host);
    return new HostBinding.Region.Positions(p);
  }

  /**
   * The token_mask of an edit whose expert is given: positions only (a region chosen by attribution
   * needs the image), checked against the host's sequence where the layer has one.
   */
  static int[] explicitMask(Layer layer, Object v, Object queryRegion) throws SQLException {
    if (queryRegion != null) {
      throw ErrorCode.INVALID_VALUE.exception(
          "query_region is chosen by attribution on the"
              + " edit's picture, but this insert gives the expert itself; insert with image so the"
              + " host fits the expert on that region, or give token_mask positions");
    }
    if (v instanceof String || v instanceof java.sql.Clob) {
      throw ErrorCode.INVALID_VALUE.exception(
          "token_mask '"
              + Values.text(v, "token_mask")
              + "' is chosen from the image, but this insert gives the expert itself; give the"
              + " positions (ARRAY[1, 2, 5]), or insert with image so the host chooses them");
    }
    int[] p = Values.positions(v, "token_mask");
    return p == null || !layer.hasHost() ? p : checked(p, HostBindings.find(layer.host()));
  }

  /** The mask's rule, and its positions within the host's sequence (StoreException else). */
  private static int[] checked(int[] p, HostBinding.Host host) {
    io.editdb.store.TokenMasks.checkWithin(
        io.editdb.store.TokenMasks.check(p), host.sequenceLength(), host.name() + "'s sequence");
    return p;
  }

  /** A prompt's text key on a layer bound to a host, as the host keys that layer's questions. */
  static float[] textKey(Layer layer, String prompt) {
    try {
      return HostBindings.find(layer.host()).textKey(layer, prompt);
    } catch (IllegalArgumentException e) { // the host's refusal of the prompt (HostBinding.Host)
      throw HostBindings.refused(e);
    }
  }

  private static byte[] bytes(Object v) throws SQLException {
    if (v == null) {
      throw ErrorCode.INVALID_VALUE.exception(
          "image must not be NULL; give the picture as PNG bytes (setBytes, X'89504E47...')");
    }
    if (v instanceof Blob blob) {
      return blob.getBytes(1, (int) blob.length());
    }
    if (v instanceof InputStream in) {
      return Values.readAll(in, "image");
    }
    if (v instanceof byte[] b) {
      return b;
    }
    throw ErrorCode.WRONG_TYPE.exception(
        "image takes PNG bytes (byte[], a BLOB or a stream); it was given a "
            + v.getClass().getSimpleName()
            + ". Bind the PNG file's bytes");
  }

  static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
