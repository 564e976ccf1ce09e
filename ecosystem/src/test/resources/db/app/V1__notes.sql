-- A user's own migration: a table of their own, beside EditDB's relations.
CREATE TABLE notes (
  id      INT PRIMARY KEY,
  edit_id BIGINT NOT NULL,
  body    VARCHAR(1000) NOT NULL
);
