-- danvan-server schema, version 5 (PostgreSQL): figures an officer can file (issue 9, ADR 0004).
-- Never edit once released: add a new numbered file.

-- The day a record's unit code is read on (codes are reused across the 2025 reform): the day
-- the record was created, or the past day a historical entry names. NULL in rows written
-- before this migration: the aggregator reads those codes on the record's main date, as it did
-- before; the next accepted change of the record writes the day.
ALTER TABLE facts ADD COLUMN unit_on TEXT;

-- Dated flows (JSON [{"name","on","value"}]): findings, recommendations sent, money and land
-- recovered… each counted in the period of its own day, never again in a later one.
ALTER TABLE facts ADD COLUMN flows TEXT NOT NULL DEFAULT '[]';
