-- danvan-server schema, version 2 (PostgreSQL): record documents, sync sequence, fact rows.
-- Never edit once released: add a new numbered file.

CREATE TABLE sync_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO sync_epoch (id, epoch) VALUES (1, floor(random() * 9007199254740990)::bigint + 1);

-- The global sync sequence. Writers take the next value with UPDATE … RETURNING, which holds
-- this row's lock until commit: sequence numbers become visible in order, so a reader never
-- skips a change that commits late.
CREATE TABLE sync_seq (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO sync_seq (id, value) VALUES (1, 0);

CREATE TABLE documents (
    id              TEXT PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL,
    unit            TEXT NOT NULL,
    snapshot        BYTEA NOT NULL,
    snapshot_seq    BIGINT NOT NULL,
    snapshot_origin TEXT,
    heads           BYTEA NOT NULL,
    chunk_count     BIGINT NOT NULL DEFAULT 0,
    chunk_bytes     BIGINT NOT NULL DEFAULT 0,
    created_seq     BIGINT NOT NULL,
    updated_seq     BIGINT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX documents_by_seq ON documents (updated_seq);
CREATE INDEX documents_by_unit_seq ON documents (unit, updated_seq);

CREATE TABLE doc_chunks (
    doc_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    seq    BIGINT NOT NULL,
    origin TEXT NOT NULL,
    bytes  BYTEA NOT NULL,
    PRIMARY KEY (doc_id, seq)
);

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
    updated_seq BIGINT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX facts_by_unit ON facts (unit, kind);
