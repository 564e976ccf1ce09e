package io.editdb.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/**
 * The hash chain of {@code edit_history}. Each row's {@code hash} is the hex SHA-256 of, in this
 * order and each as a 4-byte big-endian length followed by its UTF-8 bytes (a null as length -1):
 * prev_hash, seq, version, edit_id, layer, action, actor, at (epoch microseconds), reason,
 * content_hash. The first row's prev_hash is 64 zeros. {@code content_hash} covers what the row is
 * about: an edit's full content for INSERT, the layer definition for CREATE_LAYER, the edit id for
 * ROLLBACK and RESTORE. Changing any byte of a row, or of the edit or layer it covers, breaks the
 * chain from that row on.
 *
 * <p>That construction, with the content hashes below and {@link UserChain}'s row hash, is hash
 * format {@value #FORMAT}; each row of {@code edit_history} and {@code user_history} names its
 * format in {@code hash_format} (schema version 9; every row written before is format 1, the same
 * hashing). Options added later are hashed only when set and need no new format; a change to the
 * hashing itself gets the next number, and a verifier computes each row with the format it names
 * and refuses one it does not know ({@link #unknownFormat}).
 *
 * <p>{@code hash_format} is not itself an input of the format-1 hash (it could not be without
 * changing every existing hash), and that is safe: a row verifies only when its stored hash equals
 * the hash of its content under the format it names, so rewriting the number either names a format
 * this code does not know (the check fails) or names another known one, whose hash of the same
 * content differs. Every format after 1 must therefore begin its input with its own number as a
 * field (length 1 or 2): a format-1 input always begins with the 64-character prev_hash (length
 * 64), so no input of one format is an input of another, and a row made to verify under a different
 * format than it was written with would take a SHA-256 collision. Changing the number and the hash
 * together is a rewrite of the chain, which the next row's prev_hash and the operator's recorded
 * digest catch as they catch any other.
 */
final class HistoryChain {
  static final String GENESIS = "0".repeat(64);

  /** The hash format this code writes; {@link #knows} lists those it verifies. */
  static final int FORMAT = 1;

  /** Whether this code can compute a hash of {@code format}. */
  static boolean knows(int format) {
    return format == FORMAT;
  }

  /** Why a row of a format this code does not know cannot be verified. */
  static String unknownFormat(int format) {
    return "hash_format "
        + format
        + " is not known to this EditDB, which knows format "
        + FORMAT
        + ": the row was written by a newer EditDB and cannot be verified here";
  }

  private final MessageDigest md;

  HistoryChain() {
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  HistoryChain add(Object value) {
    if (value == null) {
      md.update(ByteBuffer.allocate(4).putInt(-1).array());
      return this;
    }
    byte[] b =
        value instanceof byte[] bytes ? bytes : canonical(value).getBytes(StandardCharsets.UTF_8);
    md.update(ByteBuffer.allocate(4).putInt(b.length).array());
    md.update(b);
    return this;
  }

  String hex() {
    return HexFormat.of().formatHex(md.digest());
  }

  private static String canonical(Object v) {
    if (v instanceof OffsetDateTime t) {
      return Long.toString(ChronoUnit.MICROS.between(java.time.Instant.EPOCH, t.toInstant()));
    }
    if (v instanceof Float f) {
      return Integer.toHexString(Float.floatToIntBits(f));
    }
    if (v instanceof Double d) {
      return Long.toHexString(Double.doubleToLongBits(d));
    }
    return v.toString();
  }

  /**
   * The hash of an {@code edit_history} row in {@code format}, which must be one this code {@link
   * #knows}.
   */
  static String rowHash(
      int format,
      String prevHash,
      long seq,
      long version,
      Long editId,
      String layer,
      String action,
      String actor,
      OffsetDateTime at,
      String reason,
      String contentHash) {
    requireKnown(format);
    return new HistoryChain()
        .add(prevHash)
        .add(seq)
        .add(version)
        .add(editId)
        .add(layer)
        .add(action)
        .add(actor)
        .add(at)
        .add(reason)
        .add(contentHash)
        .hex();
  }

  static void requireKnown(int format) {
    if (!knows(format)) {
      throw new IllegalArgumentException(unknownFormat(format));
    }
  }

  /**
   * The layer's content hash (format 1). Host and maker (schema version 5) are hashed after the
   * rest, and only when one of them is set, so a layer without them, and every layer of a store
   * written before version 5, keeps the hash it had; options added after version 1 (visual_weight,
   * version 6) the same way, each only when it is not its default ({@link LayerOption}).
   */
  static String layerHash(Layer l) {
    HistoryChain c =
        new HistoryChain()
            .add(l.id())
            .add(l.name())
            .add(l.model())
            .add(l.module())
            .add(l.dIn())
            .add(l.dOut())
            .add(l.visualDim())
            .add(l.textDim());
    for (LayerOption o : LayerOption.values()) {
      if (!o.hashedWhenSet()) {
        c.add(l.option(o));
      }
    }
    c.add(l.createdVersion());
    if (l.host() != null || l.maker() != null) {
      c.add("host").add(l.host()).add(l.maker());
    }
    for (LayerOption o : LayerOption.values()) {
      if (o.hashedWhenSet() && !l.option(o).equals(o.defaultValue())) {
        c.add(o.column()).add(l.option(o));
      }
    }
    return c.hex();
  }

  static String editHash(
      long id,
      String layer,
      String prompt,
      String target,
      String imageRef,
      byte[] visual,
      byte[] text,
      byte[] a,
      byte[] b,
      String dtype,
      int rank,
      float alpha,
      String author,
      String reason,
      long createdVersion,
      OffsetDateTime createdAt,
      int[] tokenMask,
      String queryRegion) {
    HistoryChain c =
        new HistoryChain()
            .add(id)
            .add(layer)
            .add(prompt)
            .add(target)
            .add(imageRef)
            .add(visual)
            .add(text)
            .add(a)
            .add(b)
            .add(dtype)
            .add(rank)
            .add(alpha)
            .add(author)
            .add(reason)
            .add(createdVersion)
            .add(createdAt);
    if (tokenMask != null) { // schema version 7, hashed only when set, as visual_weight
      c.add("token_mask").add(java.util.Arrays.toString(tokenMask));
    }
    if (queryRegion != null) {
      c.add("query_region").add(queryRegion);
    }
    return c.hex();
  }

  static String idHash(long editId) {
    return new HistoryChain().add(editId).hex();
  }
}
