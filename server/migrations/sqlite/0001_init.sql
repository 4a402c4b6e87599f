-- danvan-server schema, version 1 (SQLite). Never edit once released: add a new numbered file.
-- Dates are ISO text (YYYY-MM-DD, sorts correctly); timestamps are RFC 3339 text in UTC.
-- 0002 is reserved for documents, facts and sync state.

-- Administrative units are versioned: a code may be reused by a later, different unit, so a
-- code is only meaningful together with a date. valid_to is inclusive; NULL = still valid.
-- valid_from 0001-01-01 means "in force before the data begins".
CREATE TABLE units (
    code        TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT,
    PRIMARY KEY (code, valid_from)
);
CREATE INDEX units_parent ON units (parent_code);

-- What became of a unit after its valid_to (successor codes resolve as of valid_to + 1 day).
-- share: toan_bo (whole), mot_phan (part), mot_phan_dien_tich (part of the area only),
-- phan_con_lai (the remainder), or NULL when unknown.
CREATE TABLE unit_successors (
    code           TEXT NOT NULL,
    valid_from     TEXT NOT NULL,
    successor_code TEXT NOT NULL,
    share          TEXT,
    PRIMARY KEY (code, valid_from, successor_code),
    FOREIGN KEY (code, valid_from) REFERENCES units (code, valid_from) ON DELETE CASCADE
);

-- Officers and administrators of the web dashboard (argon2id password hashes, PHC strings).
CREATE TABLE users (
    username      TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    unit          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

-- Enrolled phones. secret_hash = sha256(device secret); the secret itself is never stored.
CREATE TABLE devices (
    id           BLOB PRIMARY KEY NOT NULL,
    person_name  TEXT NOT NULL,
    label        TEXT,
    role         TEXT NOT NULL,
    unit         TEXT NOT NULL,
    secret_hash  BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_seen_at TEXT
);

-- One-time enrollment codes. code_hash = hex sha256 of the normalised code.
CREATE TABLE enrollments (
    code_hash  TEXT PRIMARY KEY NOT NULL,
    person     TEXT NOT NULL,
    role       TEXT NOT NULL,
    unit       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    device_id  BLOB,
    created_by TEXT NOT NULL
);
