-- EditDB schema, version 2: the read-side SQL functions. The Java is io.editdb.store.SqlFunctions
-- (H2 calls its static methods; overloads differ in their number of arguments).
--
--   EDITS_AT(version)                        edits active at the version (id, layer, prompt, ...)
--   ROUTE(layer, visual, text [, version [, visual_threshold]])
--                                            edit_id, visual_score, text_score, gate; gate desc
--   ROUTE_EXPLAIN(layer, visual, text [, version [, visual_threshold]])
--                                            every candidate: edit_id, visual_score,
--                                            passed_filter, text_score, gate, kept, why
--   EMBED_TEXT(text)                         the built-in encoder's key, a REAL ARRAY
--
-- Keys are REAL ARRAYs or EditDB vector blobs (the edits' key columns). ROUTE, ROUTE_EXPLAIN and
-- EMBED_TEXT need the router and encoder that the EditDB JDBC driver registers for each store.
CREATE ALIAS EDITS_AT FOR 'io.editdb.store.SqlFunctions.editsAt';
CREATE ALIAS ROUTE FOR 'io.editdb.store.SqlFunctions.route';
CREATE ALIAS ROUTE_EXPLAIN FOR 'io.editdb.store.SqlFunctions.routeExplain';
CREATE ALIAS EMBED_TEXT FOR 'io.editdb.store.SqlFunctions.embedText';
