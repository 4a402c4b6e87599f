-- danvan-server schema, version 2 (SQLite): record documents, sync sequence, fact rows.
-- Never edit once released: add a new numbered file.

-- This database's sync identity: devices remember it with their cursor, so a restored or
-- different database is detected (devices then push everything again).
CREATE TABLE sync_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch INTEGER NOT NULL
);
INSERT INTO sync_epoch (id, epoch) VALUES (1, abs(random()) % 9007199254740991 + 1);

-- The global sync sequence: every accepted change to any record takes the next value.
CREATE TABLE sync_seq (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO sync_seq (id, value) VALUES (1, 0);

-- One row per record: a compacted Automerge snapshot plus the chunks accepted since.
-- snapshot_seq: highest seq folded into the snapshot; snapshot_origin: the device whose
-- changes alone the snapshot holds (NULL once several devices' changes are folded in).
CREATE TABLE documents (
    id              TEXT PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL,
    unit            TEXT NOT NULL,
    snapshot        BLOB NOT NULL,
    snapshot_seq    INTEGER NOT NULL,
    snapshot_origin TEXT,
    heads           BLOB NOT NULL,
    chunk_count     INTEGER NOT NULL DEFAULT 0,
    chunk_bytes     INTEGER NOT NULL DEFAULT 0,
    created_seq     INTEGER NOT NULL,
    updated_seq     INTEGER NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX documents_by_seq ON documents (updated_seq);
CREATE INDEX documents_by_unit_seq ON documents (unit, updated_seq);

CREATE TABLE doc_chunks (
    doc_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    origin TEXT NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (doc_id, seq)
);

-- The flat, de-identified row per record that aggregation reads (written with each merge).
CREATE TABLE facts (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    unit        TEXT NOT NULL,
    status      TEXT NOT NULL,
    category    TEXT,
    subtype     TEXT,
    main_date   TEXT,
    closed_on   TEXT,
    history     TEXT NOT NULL,
    measures    TEXT NOT NULL,
    updated_seq INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX facts_by_unit ON facts (unit, kind);
