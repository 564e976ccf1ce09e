-- EditDB schema, version 7: an edit may act on some token positions only (VisEdit).
--
-- token_mask  the positions of a query's sequence the edit's expert acts on, ascending and
--             distinct, e.g. the visual tokens an answer rests on as found by attribution
--             (INSERT ... token_mask 'TOP 4'). NULL (the default, and every edit written before
--             this version) means every position, as LiveEdit's experts act.
--
-- query_region  NULL, or the rule that chooses, in each query the edit is routed to, the
--             positions it acts on there: 'TOP k' (the k visual tokens with the most
--             attribution to that query's answer) or 'MASS p'. token_mask then holds the
--             region the rule chose on the edit's own picture, where the expert was fitted.
--
-- Every statement may run twice: H2 commits DDL as it goes, so an upgrade killed half way is
-- re-run whole on the next open (IF [NOT] EXISTS; a grant given twice is given).
--
-- The content hash of the history chain covers token_mask and query_region only when they are
-- not NULL, so edits of stores written before this version verify as they did
-- (io.editdb.store.HistoryChain).
ALTER TABLE edits ADD COLUMN IF NOT EXISTS token_mask INTEGER ARRAY;
ALTER TABLE edits ADD COLUMN IF NOT EXISTS query_region VARCHAR(64);

-- The view is SELECT * of the table as it was when created: re-create it to show the new
-- column, and grant it again (dropping a view drops its grants).
DROP VIEW IF EXISTS EDITDB.edits;
CREATE VIEW EDITDB.edits AS SELECT * FROM PUBLIC.edits;
GRANT SELECT ON EDITDB.edits TO EDITDB_AUDITOR;
GRANT SELECT ON EDITDB.edits TO EDITDB_EDITOR;
GRANT SELECT ON EDITDB.edits TO EDITDB_ADMIN;

--   ATTRIBUTION(layer, image, question [, answer])
--       where an answer rests: one row per module and token position of the layer's host:
--       module, token, visual, ig (integrated gradients of the answer's logit from the
--       no-image baseline), noise (drop of the answer's probability under noise), and for a
--       visual token its box in pixels (x, y, width, height; NULL otherwise). answer NULL or
--       left out: the host's own answer. Served like ASK (io.editdb.store.SqlFunctions).
CREATE ALIAS IF NOT EXISTS ATTRIBUTION FOR 'io.editdb.store.SqlFunctions.attribution';
