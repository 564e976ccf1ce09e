package io.editdb.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Mapping between H2 rows and the store's records; one place for the SQL of reads. */
final class Rows {
  private Rows() {}

  static Layer layer(ResultSet rs) throws SQLException {
    java.util.Map<LayerOption, Object> options = new java.util.EnumMap<>(LayerOption.class);
    for (LayerOption o : LayerOption.values()) {
      options.put(o, o.read(rs));
    }
    return new Layer(
        rs.getInt("id"),
        rs.getString("name"),
        rs.getString("model"),
        rs.getString("module"),
        rs.getInt("d_in"),
        rs.getInt("d_out"),
        rs.getInt("visual_dim"),
        rs.getInt("text_dim"),
        rs.getLong("created_version"),
        rs.getString("host"),
        rs.getString("maker"),
        options);
  }

  static Optional<EditRecord> edit(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM edits WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        byte[] visual = rs.getBytes("visual_key");
        long retired = rs.getLong("retired_version");
        Long retiredVersion = rs.wasNull() ? null : retired;
        return Optional.of(
            new EditRecord(
                id,
                rs.getString("layer"),
                rs.getString("prompt"),
                rs.getString("target"),
                rs.getString("image_ref"),
                visual == null ? null : VectorCodec.decode(visual),
                VectorCodec.decode(rs.getBytes("text_key")),
                rs.getBytes("expert_a"),
                rs.getBytes("expert_b"),
                WeightDtype.valueOf(rs.getString("weight_dtype")),
                rs.getInt("rank"),
                rs.getFloat("alpha"),
                rs.getString("author"),
                rs.getString("reason"),
                "ACTIVE".equals(rs.getString("status")),
                rs.getLong("created_version"),
                rs.getObject("created_at", OffsetDateTime.class),
                retiredVersion,
                rs.getObject("retired_at", OffsetDateTime.class),
                tokenMask(rs),
                rs.getString("query_region")));
      }
    }
  }

  /** SQL condition: span s is active at the version bound to the given parameter. */
  static final String ACTIVE_AT =
      "s.from_version <= ? AND (s.to_version IS NULL OR s.to_version > ?)";

  static List<Long> activeIds(Connection c, String layer, long version) throws SQLException {
    String sql =
        "SELECT s.edit_id FROM edit_spans s JOIN edits e ON e.id = s.edit_id WHERE "
            + ACTIVE_AT
            + (layer == null ? "" : " AND UPPER(e.layer) = UPPER(?)")
            + " ORDER BY s.edit_id";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, version);
      ps.setLong(2, version);
      if (layer != null) {
        ps.setString(3, layer);
      }
      List<Long> ids = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
      return ids;
    }
  }

  /**
   * Walks the history in seq order checking the chain and each row's content hash, then replays it
   * against the state tables and the user chain. Several queries: see {@link
   * EditStore#verifyHistory} for how a concurrent commit is kept out of them.
   */
  static HistoryCheck verify(Connection c) throws SQLException {
    String prev = HistoryChain.GENESIS;
    long checked = 0;
    long expectedSeq = 1;
    HistoryReplay replay = new HistoryReplay();
    try (Statement st = c.createStatement()) {
      st.setFetchSize(1000);
      try (ResultSet rs =
          st.executeQuery(
              "SELECT seq, version, edit_id, layer, action, actor, at, reason, content_hash,"
                  + " prev_hash, hash, hash_format FROM edit_history ORDER BY seq")) {
        while (rs.next()) {
          long seq = rs.getLong(1);
          long editIdRaw = rs.getLong(3);
          Long editId = rs.wasNull() ? null : editIdRaw;
          String layer = rs.getString(4);
          String action = rs.getString(5);
          String content = rs.getString(9);
          int format = rs.getInt(12);
          String problem = null;
          if (seq != expectedSeq) {
            problem = "sequence gap: expected seq " + expectedSeq + ", found " + seq;
          } else if (!HistoryChain.knows(format)) {
            problem = HistoryChain.unknownFormat(format); // never passed unchecked
          } else if (!prev.equals(rs.getString(10))) {
            problem = "prev_hash does not match the hash of the row before";
          } else if (!HistoryChain.rowHash(
                  format,
                  prev,
                  seq,
                  rs.getLong(2),
                  editId,
                  layer,
                  action,
                  rs.getString(6),
                  rs.getObject(7, OffsetDateTime.class),
                  rs.getString(8),
                  content)
              .equals(rs.getString(11))) {
            problem = "row content does not match its hash";
          } else if (!content.equals(contentHash(c, action, editId, layer))) {
            problem =
                "the "
                    + ("CREATE_LAYER".equals(action) ? "layer" : "edit")
                    + " this row covers was changed";
          } else {
            problem = replay.apply(seq, rs.getLong(2), editId, action, rs.getString(6));
          }
          if (problem != null) {
            return new HistoryCheck(false, checked + 1, seq, problem);
          }
          prev = rs.getString(11);
          checked++;
          expectedSeq++;
        }
      }
    }
    HistoryCheck state = replay.compare(c, checked);
    if (state != null) {
      return state;
    }
    return UserChain.verify(c, checked);
  }

  private static String contentHash(Connection c, String action, Long editId, String layer)
      throws SQLException {
    switch (action) {
      case "CREATE_LAYER" -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM layers WHERE name = ?")) {
          ps.setString(1, layer);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? HistoryChain.layerHash(layer(rs)) : "missing";
          }
        }
      }
      case "INSERT" -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM edits WHERE id = ?")) {
          ps.setLong(1, editId);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? editHash(rs) : "missing";
          }
        }
      }
      default -> {
        return HistoryChain.idHash(editId);
      }
    }
  }

  /** {@code edits.token_mask} of the current row: null (every position) or its positions. */
  static int[] tokenMask(ResultSet rs) throws SQLException {
    java.sql.Array a = rs.getArray("token_mask");
    if (a == null) {
      return null;
    }
    Object[] v = (Object[]) a.getArray();
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = ((Number) v[i]).intValue();
    }
    return out;
  }

  static String editHash(ResultSet rs) throws SQLException {
    return HistoryChain.editHash(
        rs.getLong("id"),
        rs.getString("layer"),
        rs.getString("prompt"),
        rs.getString("target"),
        rs.getString("image_ref"),
        rs.getBytes("visual_key"),
        rs.getBytes("text_key"),
        rs.getBytes("expert_a"),
        rs.getBytes("expert_b"),
        rs.getString("weight_dtype"),
        rs.getInt("rank"),
        rs.getFloat("alpha"),
        rs.getString("author"),
        rs.getString("reason"),
        rs.getLong("created_version"),
        rs.getObject("created_at", OffsetDateTime.class),
        tokenMask(rs),
        rs.getString("query_region"));
  }
}
