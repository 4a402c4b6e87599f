-- danvan-server schema, version 7 (SQLite): what was submitted (issue 9, ADR 0004 section 5).
-- Never edit once released: add a new numbered file.

-- The record's fact row as it was when its commune locked the period, kept on the record's
-- first late amendment of that lock (the row the amendment replaces), so "what was submitted"
-- can attribute each difference to the records that explain it. JSON text:
--   an object  the fact row at the lock (id, kind, unit, status, …, history, measures);
--   'null'     the record did not exist at the lock (it arrived late);
--   NULL       not the first amendment of (record, lock), or written before this migration.
ALTER TABLE late_amendments ADD COLUMN fact_at_lock TEXT;
