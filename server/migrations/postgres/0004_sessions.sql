-- danvan-server schema, version 4 (PostgreSQL): dashboard sessions.
-- Never edit once released: add a new numbered file.
-- (0003 belongs to the aggregation engine: period locks and snapshots.)

-- One row per logged-in browser or API client. token_hash = hex sha256 of the cookie value;
-- the token itself is never stored. csrf_token is the synchronizer token of the session's forms.
-- A session ends at expires_at (absolute lifetime) or when last_seen is older than the idle
-- timeout; logout deletes the row.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (username);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
