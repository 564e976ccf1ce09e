-- EditDB schema, version 9: each row of the history chains names the format of its hash.
--
-- hash_format  the format the row's hash (and, in edit_history, its content_hash) was computed
--              with (io.editdb.store.HistoryChain.FORMAT). 1 is the hashing of schema versions 1
--              to 8, unchanged, so every row written before this version is format 1 and verifies
--              as it did. VERIFY HISTORY computes each row with the format it names and fails on a
--              format it does not know ("written by a newer EditDB") rather than pass it.
--
-- The column is part of the base tables, so it is as protected as the rest of them: no role's H2
-- user has a grant on PUBLIC.edit_history or PUBLIC.user_history, and the views are read-only.
--
-- May run twice (IF [NOT] EXISTS; a grant given twice is given), like V7.
ALTER TABLE edit_history ADD COLUMN IF NOT EXISTS hash_format SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE user_history ADD COLUMN IF NOT EXISTS hash_format SMALLINT NOT NULL DEFAULT 1;

-- The views name their columns when created: re-create them to show the new one, and grant them
-- again (dropping a view drops its grants). user_history's still leaves out password_digest.
DROP VIEW IF EXISTS EDITDB.edit_history;
CREATE VIEW EDITDB.edit_history AS SELECT * FROM PUBLIC.edit_history;
GRANT SELECT ON EDITDB.edit_history TO EDITDB_AUDITOR;
GRANT SELECT ON EDITDB.edit_history TO EDITDB_EDITOR;
GRANT SELECT ON EDITDB.edit_history TO EDITDB_ADMIN;
DROP VIEW IF EXISTS EDITDB.user_history;
CREATE VIEW EDITDB.user_history AS
  SELECT seq, action, name, role, actor, at, prev_hash, hash, hash_format FROM PUBLIC.user_history;
GRANT SELECT ON EDITDB.user_history TO EDITDB_ADMIN;
