-- EditDB schema, version 5: layers bound to a host model, and ASK.
--
-- host   the host model a layer is bound to (io.editdb.query.HostBinding), e.g. editdb-scenes-v2;
--        NULL for a layer whose keys and experts are always given by the caller
-- maker  the expert maker that turns an edit (image, prompt, target) into an expert, e.g. FIT;
--        NULL when the layer has no host
--
-- An edit inserted with its image (INSERT INTO edits (layer, prompt, target, image) ...) keeps
-- image_ref = 'sha256:' followed by the 64 lower-case hex digits of the SHA-256 of the PNG bytes
-- as given; the bytes themselves are not kept.
--
-- The layer hash of the history chain covers host and maker only when one is set, so layers of
-- stores written before this version verify as they did (io.editdb.store.HistoryChain).
ALTER TABLE layers ADD COLUMN host VARCHAR(512);
ALTER TABLE layers ADD COLUMN maker VARCHAR(32);

-- The view is SELECT * of the table as it was when created: re-create it to show the new
-- columns, and grant it again (dropping a view drops its grants).
DROP VIEW EDITDB.layers;
CREATE VIEW EDITDB.layers AS SELECT * FROM PUBLIC.layers;
GRANT SELECT ON EDITDB.layers TO EDITDB_AUDITOR;
GRANT SELECT ON EDITDB.layers TO EDITDB_EDITOR;
GRANT SELECT ON EDITDB.layers TO EDITDB_ADMIN;

--   ASK(layer, image, question [, version])
--       one row: base_answer, answer, probability, routed (the routed edit ids, gate
--       descending, comma-separated; '' when none). image is PNG bytes or NULL (text-only).
--       The layer must be bound to a host; served like ROUTE (io.editdb.store.SqlFunctions).
CREATE ALIAS ASK FOR 'io.editdb.store.SqlFunctions.ask';
