-- EditDB schema, version 6: a layer's gates may weigh the visual score too.
--
-- visual_weight  taken from each candidate's gate logit times how far its visual score is
--                behind the best candidate's: s = text_scale * text - visual_weight *
--                (best visual - visual). 0 (the default, and every layer written before this
--                version) gives LiveEdit's gates, from the text alone. Above 0, of candidates
--                asked the same question the one whose picture is closest wins, which templated
--                questions need (README, the answer-level benchmark).
--
-- The layer hash of the history chain covers visual_weight only when it is not 0, so layers of
-- stores written before this version verify as they did (io.editdb.store.HistoryChain).
ALTER TABLE layers ADD COLUMN visual_weight DOUBLE PRECISION DEFAULT 0 NOT NULL;

-- The view is SELECT * of the table as it was when created: re-create it to show the new
-- column, and grant it again (dropping a view drops its grants).
DROP VIEW EDITDB.layers;
CREATE VIEW EDITDB.layers AS SELECT * FROM PUBLIC.layers;
GRANT SELECT ON EDITDB.layers TO EDITDB_AUDITOR;
GRANT SELECT ON EDITDB.layers TO EDITDB_EDITOR;
GRANT SELECT ON EDITDB.layers TO EDITDB_ADMIN;
