-- danvan-server schema, version 3 (SQLite): aggregation (ADR 0004).
-- Never edit once released: add a new numbered file.

-- The aggregator catches up with the facts table by sequence.
CREATE INDEX facts_by_seq ON facts (updated_seq);

-- A commune's lock of a reporting period, with the figures it had then (JSON).
CREATE TABLE period_locks (
    unit          TEXT NOT NULL,
    period_key    TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    period_cutoff TEXT NOT NULL,
    locked_at     TEXT NOT NULL,
    locked_by     TEXT NOT NULL,
    snapshot      TEXT NOT NULL,
    PRIMARY KEY (unit, period_key)
);

-- Entered unit versions whose records count in a locked commune (the commune, its villages,
-- old units that went into it): what the merge path checks to flag late amendments.
CREATE TABLE period_lock_units (
    lock_unit  TEXT NOT NULL,
    period_key TEXT NOT NULL,
    code       TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to   TEXT,
    PRIMARY KEY (lock_unit, period_key, code, valid_from),
    FOREIGN KEY (lock_unit, period_key) REFERENCES period_locks (unit, period_key) ON DELETE CASCADE
);
CREATE INDEX period_lock_units_by_code ON period_lock_units (code);

-- A change to a record of a locked period that arrived after the lock: kept, and flagged.
CREATE TABLE late_amendments (
    record_id   TEXT NOT NULL,
    unit        TEXT NOT NULL,
    period_key  TEXT NOT NULL,
    arrived_at  TEXT NOT NULL,
    updated_seq INTEGER NOT NULL,
    PRIMARY KEY (record_id, unit, period_key, updated_seq)
);
CREATE INDEX late_amendments_by_period ON late_amendments (period_key, unit);
