-- EditDB schema, version 4: H2's own users and grants are the security boundary.
--
-- The base tables stay in PUBLIC, owned by the store's internal H2 administrator, which no EditDB
-- user ever holds; only the store's own code connects as it. Every EditDB user's SQL runs on a
-- connection logged in as one of three H2 users, one per EditDB role, with only these grants:
--
--   EDITDB_AUDITOR  SELECT on the read-only views in schema EDITDB and on schema APP
--   EDITDB_EDITOR   the same, plus INSERT, UPDATE, DELETE on schema APP (ordinary tables)
--   EDITDB_ADMIN    the same as an editor, plus it owns schema APP (CREATE / DROP there) and reads
--                   EDITDB.users and EDITDB.user_history
--
-- None of them is an H2 administrator, so H2 itself refuses them file functions (FILE_READ,
-- CSVWRITE, ...), LINK_SCHEMA, CREATE ALIAS / TRIGGER, SET of database settings, SCRIPT, BACKUP,
-- SHUTDOWN, ABORT_SESSION, and any base table (90040 / 90096). Views take no row locks, so
-- SELECT ... FOR UPDATE on them blocks no writer. The H2 users' passwords are random and replaced
-- at every open of the store (io.editdb.store.H2Roles); the value below never outlives the open.
-- A user's connection runs with SCHEMA EDITDB and SCHEMA_SEARCH_PATH EDITDB, APP, PUBLIC, so
-- `SELECT * FROM edits` reads the view (H2 looks in the default schema first, so no table in APP
-- can stand in for it), `SELECT * FROM notes` finds APP.notes, and tables are created as APP.notes.

-- Changes to users and roles, as a hash chain of their own (io.editdb.store.UserChain): VERIFY
-- HISTORY replays it and compares the result with the users table. password_digest is the
-- SHA-256 of the stored password hash (never of a password).
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
  CONSTRAINT user_history_action_ck
    CHECK (action IN ('BASELINE', 'CREATE', 'ROLE', 'PASSWORD', 'DROP'))
);

CREATE SCHEMA EDITDB;
CREATE VIEW EDITDB.versions AS SELECT * FROM PUBLIC.versions;
CREATE VIEW EDITDB.layers AS SELECT * FROM PUBLIC.layers;
CREATE VIEW EDITDB.edits AS SELECT * FROM PUBLIC.edits;
CREATE VIEW EDITDB.edit_spans AS SELECT * FROM PUBLIC.edit_spans;
CREATE VIEW EDITDB.edit_history AS SELECT * FROM PUBLIC.edit_history;
CREATE VIEW EDITDB.users AS
  SELECT name, role, created_at, created_by, changed_at, changed_by FROM PUBLIC.users;
CREATE VIEW EDITDB.user_history AS
  SELECT seq, action, name, role, actor, at, prev_hash, hash FROM PUBLIC.user_history;

CREATE USER EDITDB_AUDITOR PASSWORD '${role_password}';
CREATE USER EDITDB_EDITOR PASSWORD '${role_password}';
CREATE USER EDITDB_ADMIN PASSWORD '${role_password}';
CREATE SCHEMA APP AUTHORIZATION EDITDB_ADMIN;

-- H2 takes one grantee per GRANT.
GRANT SELECT ON EDITDB.versions, EDITDB.layers, EDITDB.edits, EDITDB.edit_spans,
  EDITDB.edit_history TO EDITDB_AUDITOR;
GRANT SELECT ON EDITDB.versions, EDITDB.layers, EDITDB.edits, EDITDB.edit_spans,
  EDITDB.edit_history TO EDITDB_EDITOR;
GRANT SELECT ON EDITDB.versions, EDITDB.layers, EDITDB.edits, EDITDB.edit_spans,
  EDITDB.edit_history TO EDITDB_ADMIN;
GRANT SELECT ON EDITDB.users, EDITDB.user_history TO EDITDB_ADMIN;
GRANT SELECT ON SCHEMA APP TO EDITDB_AUDITOR;
-- The schema's owner may define tables there; rows are written through the grant, like editors.
GRANT SELECT, INSERT, UPDATE, DELETE ON SCHEMA APP TO EDITDB_ADMIN;
GRANT SELECT, INSERT, UPDATE, DELETE ON SCHEMA APP TO EDITDB_EDITOR;
