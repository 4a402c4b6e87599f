-- danvan-server schema, version 11 (SQLite): a fact row's number (ADR 0016). Never edit once
-- released: add a new numbered file.
--
-- created_seq: the sync sequence number the row was first written with, kept when the row is
-- replaced. Sequence numbers are drawn once from sync_seq, so it is unique, and it never
-- changes: the in-memory fact index keys its records by it (8 bytes a record) instead of by
-- their 16-byte ids. Rows written before this file take their current updated_seq, unique for
-- the same reason. (SQLite cannot drop a column default; every writer sets it.)
ALTER TABLE facts ADD COLUMN created_seq INTEGER NOT NULL DEFAULT 0;
UPDATE facts SET created_seq = updated_seq;
