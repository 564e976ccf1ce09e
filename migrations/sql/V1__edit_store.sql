-- EditDB schema, version 1. H2 is the only source of truth; the Lucene index is derived from
-- these tables and rebuilt from them at any time. Rows of versions, edits, edit_spans and
-- edit_history are only ever appended or (edits.status / retired_*, edit_spans.to_version)
-- closed by the store; the driver refuses UPDATE/DELETE/TRUNCATE/DROP/ALTER on them.

-- One row per committed transaction that changed anything. Dense: 1, 2, 3, ...
CREATE TABLE versions (
  version        BIGINT PRIMARY KEY,
  committed_at   TIMESTAMP WITH TIME ZONE NOT NULL,
  actor          VARCHAR(256) NOT NULL,
  edits_added    INT NOT NULL,
  edits_retired  INT NOT NULL,
  edits_restored INT NOT NULL,
  layers_created INT NOT NULL
);

-- A host layer that edits attach to: shapes, key dimensions, routing parameters.
CREATE TABLE layers (
  id                INT PRIMARY KEY,
  name              VARCHAR(128) NOT NULL UNIQUE,
  model             VARCHAR(512) NOT NULL,
  module            VARCHAR(512) NOT NULL,
  d_in              INT NOT NULL,
  d_out             INT NOT NULL,
  visual_dim        INT NOT NULL,
  text_dim          INT NOT NULL,
  expert_kind       VARCHAR(16) NOT NULL,
  max_rank          INT NOT NULL,
  visual_similarity VARCHAR(24) NOT NULL,
  visual_scale      DOUBLE PRECISION NOT NULL,
  visual_threshold  DOUBLE PRECISION NOT NULL,
  max_candidates    INT NOT NULL,
  text_similarity   VARCHAR(24) NOT NULL,
  text_scale        DOUBLE PRECISION NOT NULL,
  gate              VARCHAR(16) NOT NULL,
  temperature       DOUBLE PRECISION NOT NULL,
  null_logit        DOUBLE PRECISION NOT NULL,
  min_gate          DOUBLE PRECISION NOT NULL,
  top_k             INT NOT NULL,
  created_version   BIGINT NOT NULL REFERENCES versions(version)
);

-- One row per edit. Keys and weights are EditDB vector blobs (see io.editdb.store.VectorCodec:
-- a 12-byte versioned header, then little-endian f32, f16 or bf16 values).
-- status, retired_version and retired_at describe the current state; edit_spans has the past.
CREATE TABLE edits (
  id              BIGINT PRIMARY KEY,
  layer           VARCHAR(128) NOT NULL,
  prompt          CHARACTER LARGE OBJECT NOT NULL,
  target          CHARACTER LARGE OBJECT NOT NULL,
  image_ref       VARCHAR(4096),
  visual_key      VARBINARY(1000000),
  text_key        VARBINARY(1000000) NOT NULL,
  expert_a        BINARY LARGE OBJECT NOT NULL,
  expert_b        BINARY LARGE OBJECT NOT NULL,
  weight_dtype    VARCHAR(4) NOT NULL,
  rank            INT NOT NULL,
  alpha           REAL NOT NULL,
  author          VARCHAR(256) NOT NULL,
  reason          CHARACTER LARGE OBJECT,
  status          VARCHAR(12) NOT NULL,
  created_version BIGINT NOT NULL REFERENCES versions(version),
  created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
  retired_version BIGINT REFERENCES versions(version),
  retired_at      TIMESTAMP WITH TIME ZONE,
  CONSTRAINT edits_layer_fk FOREIGN KEY (layer) REFERENCES layers(name),
  CONSTRAINT edits_status_ck CHECK (status IN ('ACTIVE', 'ROLLED_BACK'))
);
CREATE INDEX edits_layer_ix ON edits(layer);
CREATE INDEX edits_created_ix ON edits(created_version);

-- Activity intervals: an edit is active at version v iff one of its spans has
-- from_version <= v < to_version (to_version NULL = still active). A restore opens a new span,
-- so time travel stays exact through rollback/restore cycles.
CREATE TABLE edit_spans (
  edit_id      BIGINT NOT NULL REFERENCES edits(id),
  from_version BIGINT NOT NULL REFERENCES versions(version),
  to_version   BIGINT REFERENCES versions(version),
  PRIMARY KEY (edit_id, from_version)
);
CREATE INDEX edit_spans_from_ix ON edit_spans(from_version);
CREATE INDEX edit_spans_to_ix ON edit_spans(to_version);

-- The append-only log. hash = SHA-256 over prev_hash and this row's content (see
-- io.editdb.store.HistoryChain); content_hash covers the edit or layer the row is about.
CREATE TABLE edit_history (
  seq          BIGINT PRIMARY KEY,
  version      BIGINT NOT NULL REFERENCES versions(version),
  edit_id      BIGINT REFERENCES edits(id),
  layer        VARCHAR(128) NOT NULL,
  action       VARCHAR(16) NOT NULL,
  actor        VARCHAR(256) NOT NULL,
  at           TIMESTAMP WITH TIME ZONE NOT NULL,
  reason       CHARACTER LARGE OBJECT,
  content_hash VARCHAR(64) NOT NULL,
  prev_hash    VARCHAR(64) NOT NULL,
  hash         VARCHAR(64) NOT NULL,
  CONSTRAINT edit_history_action_ck CHECK (action IN ('CREATE_LAYER', 'INSERT', 'ROLLBACK', 'RESTORE'))
);
CREATE INDEX edit_history_version_ix ON edit_history(version);
CREATE INDEX edit_history_edit_ix ON edit_history(edit_id);
