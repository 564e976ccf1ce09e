-- EditDB schema on PostgreSQL, version 9: the same relations, columns and rules as versions 1 to 9
-- of the H2 scripts (../sql), in PostgreSQL's types, made in one step because no PostgreSQL store
-- predates this version. A later version changes both backends' scripts, with the same number.
--
-- The base tables live in schema public, owned by the store's PostgreSQL owner (the login the
-- nodes open the store with), which no EditDB user ever holds. Users' SQL runs as one of three
-- role logins (io.editdb.store.PgRoles makes them, named after the database), which read EditDB's
-- relations only through the read-only views of schema editdb: a view runs with its owner's
-- rights, so a role reads through it what it may not read in the base table. Text and binary
-- columns are TEXT and BYTEA (H2: CLOB, VARBINARY/BLOB); keys and weights are EditDB vector blobs
-- (io.editdb.store.VectorCodec), as on H2.

CREATE TABLE versions (
  version        BIGINT PRIMARY KEY,
  committed_at   TIMESTAMP WITH TIME ZONE NOT NULL,
  actor          VARCHAR(256) NOT NULL,
  edits_added    INT NOT NULL,
  edits_retired  INT NOT NULL,
  edits_restored INT NOT NULL,
  layers_created INT NOT NULL
);

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
  created_version   BIGINT NOT NULL REFERENCES versions(version),
  host              VARCHAR(512),
  maker             VARCHAR(32),
  visual_weight     DOUBLE PRECISION DEFAULT 0 NOT NULL
);

CREATE TABLE edits (
  id              BIGINT PRIMARY KEY,
  layer           VARCHAR(128) NOT NULL,
  prompt          TEXT NOT NULL,
  target          TEXT NOT NULL,
  image_ref       VARCHAR(4096),
  visual_key      BYTEA,
  text_key        BYTEA NOT NULL,
  expert_a        BYTEA NOT NULL,
  expert_b        BYTEA NOT NULL,
  weight_dtype    VARCHAR(4) NOT NULL,
  rank            INT NOT NULL,
  alpha           REAL NOT NULL,
  author          VARCHAR(256) NOT NULL,
  reason          TEXT,
  status          VARCHAR(12) NOT NULL,
  created_version BIGINT NOT NULL REFERENCES versions(version),
  created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
  retired_version BIGINT REFERENCES versions(version),
  retired_at      TIMESTAMP WITH TIME ZONE,
  token_mask      INTEGER[],
  query_region    VARCHAR(64),
  CONSTRAINT edits_layer_fk FOREIGN KEY (layer) REFERENCES layers(name),
  CONSTRAINT edits_status_ck CHECK (status IN ('ACTIVE', 'ROLLED_BACK'))
);
CREATE INDEX edits_layer_ix ON edits(layer);
CREATE INDEX edits_created_ix ON edits(created_version);

CREATE TABLE edit_spans (
  edit_id      BIGINT NOT NULL REFERENCES edits(id),
  from_version BIGINT NOT NULL REFERENCES versions(version),
  to_version   BIGINT REFERENCES versions(version),
  PRIMARY KEY (edit_id, from_version)
);
CREATE INDEX edit_spans_from_ix ON edit_spans(from_version);
CREATE INDEX edit_spans_to_ix ON edit_spans(to_version);

CREATE TABLE edit_history (
  seq          BIGINT PRIMARY KEY,
  version      BIGINT NOT NULL REFERENCES versions(version),
  edit_id      BIGINT REFERENCES edits(id),
  layer        VARCHAR(128) NOT NULL,
  action       VARCHAR(16) NOT NULL,
  actor        VARCHAR(256) NOT NULL,
  at           TIMESTAMP WITH TIME ZONE NOT NULL,
  reason       TEXT,
  content_hash VARCHAR(64) NOT NULL,
  prev_hash    VARCHAR(64) NOT NULL,
  hash         VARCHAR(64) NOT NULL,
  hash_format  SMALLINT NOT NULL DEFAULT 1,
  CONSTRAINT edit_history_action_ck CHECK (action IN ('CREATE_LAYER', 'INSERT', 'ROLLBACK', 'RESTORE'))
);
CREATE INDEX edit_history_version_ix ON edit_history(version);
CREATE INDEX edit_history_edit_ix ON edit_history(edit_id);

CREATE TABLE users (
  name          VARCHAR(128) PRIMARY KEY,
  role          VARCHAR(12) NOT NULL,
  password_hash VARCHAR(256) NOT NULL,
  created_at    TIMESTAMP WITH TIME ZONE NOT NULL,
  created_by    VARCHAR(256) NOT NULL,
  changed_at    TIMESTAMP WITH TIME ZONE,
  changed_by    VARCHAR(256),
  CONSTRAINT users_role_ck CHECK (role IN ('ADMIN', 'EDITOR', 'AUDITOR'))
);

CREATE TABLE user_history (
  seq             BIGINT PRIMARY KEY,
  action          VARCHAR(16) NOT NULL,
  name            VARCHAR(128) NOT NULL,
  role            VARCHAR(12),
  password_digest VARCHAR(64),
  actor           VARCHAR(256) NOT NULL,
  at              TIMESTAMP WITH TIME ZONE NOT NULL,
  prev_hash       VARCHAR(64) NOT NULL,
  hash            VARCHAR(64) NOT NULL,
  hash_format     SMALLINT NOT NULL DEFAULT 1,
  CONSTRAINT user_history_action_ck
    CHECK (action IN ('BASELINE', 'CREATE', 'ROLE', 'PASSWORD', 'DROP'))
);

-- The secret the role logins' passwords are derived from (io.editdb.store.PgRoles): every node
-- reads it, so all nodes agree on the passwords without ever resetting one another's. Only the
-- store's owner reads this table; no role has a grant on it.
CREATE TABLE node_secret (
  id     INT PRIMARY KEY CHECK (id = 1),
  secret BYTEA NOT NULL
);

CREATE SCHEMA editdb;
CREATE VIEW editdb.versions AS SELECT * FROM public.versions;
CREATE VIEW editdb.layers AS SELECT * FROM public.layers;
CREATE VIEW editdb.edits AS SELECT * FROM public.edits;
CREATE VIEW editdb.edit_spans AS SELECT * FROM public.edit_spans;
CREATE VIEW editdb.edit_history AS SELECT * FROM public.edit_history;
CREATE VIEW editdb.users AS
  SELECT name, role, created_at, created_by, changed_at, changed_by FROM public.users;
CREATE VIEW editdb.user_history AS
  SELECT seq, action, name, role, actor, at, prev_hash, hash, hash_format FROM public.user_history;

-- editdb.edits_at(version): the edits active at a version, as inserted (status and retired_*
-- describe today, so they are left out); a version that does not exist is refused, as on H2.
-- It reads the views, with the caller's rights.
CREATE FUNCTION editdb.edits_at(v BIGINT)
RETURNS TABLE (id BIGINT, layer VARCHAR, prompt TEXT, target TEXT, image_ref VARCHAR,
  visual_key BYTEA, text_key BYTEA, expert_a BYTEA, expert_b BYTEA, weight_dtype VARCHAR,
  rank INT, alpha REAL, author VARCHAR, reason TEXT, created_version BIGINT,
  created_at TIMESTAMP WITH TIME ZONE, token_mask INTEGER[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
  latest BIGINT;
BEGIN
  SELECT COALESCE(MAX(x.version), 0) INTO latest FROM editdb.versions x;
  IF v IS NULL OR v < 0 OR v > latest THEN
    RAISE EXCEPTION 'version % does not exist; versions run from 0 (empty) to %. Use a version in that range', v, latest
      USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
    SELECT e.id, e.layer, e.prompt, e.target, e.image_ref, e.visual_key, e.text_key, e.expert_a,
      e.expert_b, e.weight_dtype, e.rank, e.alpha, e.author, e.reason, e.created_version,
      e.created_at, e.token_mask
    FROM editdb.edits e
    WHERE EXISTS (SELECT 1 FROM editdb.edit_spans s WHERE s.edit_id = e.id
      AND s.from_version <= v AND (s.to_version IS NULL OR s.to_version > v))
    ORDER BY e.id;
END $$;

-- editdb.vector_array(blob): an EditDB vector blob (12-byte header "EDV1", dtype, length, then
-- little-endian f32, f16 or bf16 values; io.editdb.store.VectorCodec) as a REAL[]; NULL for NULL.
-- The same values as the H2 function VECTOR_ARRAY, so psql users read keys as numbers.
CREATE FUNCTION editdb.vector_array(b BYTEA) RETURNS REAL[]
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  dtype INT;
  n INT;
  width INT;
  out REAL[];
  bits BIGINT;
  s INT;
  e INT;
  m BIGINT;
  x DOUBLE PRECISION;
BEGIN
  IF length(b) < 12 OR get_byte(b, 0) <> 69 OR get_byte(b, 1) <> 68 OR get_byte(b, 2) <> 86
      OR get_byte(b, 3) <> 49 THEN
    RAISE EXCEPTION 'not an EditDB vector (no EDV1 header); pass a key or weights column such as edits.visual_key'
      USING ERRCODE = '22023';
  END IF;
  dtype := get_byte(b, 4) | (get_byte(b, 5) << 8);
  n := get_byte(b, 8) | (get_byte(b, 9) << 8) | (get_byte(b, 10) << 16) | (get_byte(b, 11) << 24);
  width := CASE dtype WHEN 0 THEN 4 WHEN 1 THEN 2 WHEN 2 THEN 2 ELSE 0 END;
  IF width = 0 OR length(b) <> 12 + n * width THEN
    RAISE EXCEPTION 'EditDB vector of dtype code % and length % has % bytes; it is damaged or newer than this schema', dtype, n, length(b)
      USING ERRCODE = '22023';
  END IF;
  out := array_fill(0::REAL, ARRAY[n]);
  FOR i IN 0 .. n - 1 LOOP
    IF width = 4 THEN
      bits := get_byte(b, 12 + 4 * i)::BIGINT | (get_byte(b, 13 + 4 * i)::BIGINT << 8)
        | (get_byte(b, 14 + 4 * i)::BIGINT << 16) | (get_byte(b, 15 + 4 * i)::BIGINT << 24);
    ELSE
      bits := get_byte(b, 12 + 2 * i)::BIGINT | (get_byte(b, 13 + 2 * i)::BIGINT << 8);
      IF dtype = 2 THEN
        bits := bits << 16; -- bf16 is the high half of an f32
      END IF;
    END IF;
    IF dtype = 1 THEN -- f16: 1 sign, 5 exponent, 10 mantissa bits
      s := (bits >> 15)::INT & 1;
      e := (bits >> 10)::INT & 31;
      m := bits & 1023;
      x := CASE WHEN e = 0 THEN m * 2.0 ^ -24
                WHEN e = 31 THEN CASE WHEN m = 0 THEN 'Infinity'::DOUBLE PRECISION ELSE 'NaN' END
                ELSE (1 + m / 1024.0) * 2.0 ^ (e - 15) END;
    ELSE -- f32: 1 sign, 8 exponent, 23 mantissa bits
      s := (bits >> 31)::INT & 1;
      e := (bits >> 23)::INT & 255;
      m := bits & 8388607;
      x := CASE WHEN e = 0 THEN m * 2.0 ^ -149
                WHEN e = 255 THEN CASE WHEN m = 0 THEN 'Infinity'::DOUBLE PRECISION ELSE 'NaN' END
                ELSE (1 + m / 8388608.0) * 2.0 ^ (e - 127) END;
    END IF;
    out[i + 1] := (CASE WHEN s = 1 THEN -x ELSE x END)::REAL;
  END LOOP;
  RETURN out;
END $$;
