-- danvan-server schema, version 10: phone-to-phone exchange (ADR 0014). Never edit once
-- released: add a new numbered file.
--
-- server_keys: the server's own Ed25519 key (its 32-byte seed, hex), made at first use; it
-- signs device certificates, which phones check each other's bundles against. One row.
-- device_keys: each device's Ed25519 public key (hex), registered once by the device itself
-- (authenticated by its secret); a device cannot change it.
-- attested_changes: changes (by hash, hex) that a device made and signed, handed to the server
-- by another phone that received them in a bundle; the sync accepts such a change from that
-- phone under the author's actor id.
CREATE TABLE server_keys (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seed TEXT NOT NULL
);
CREATE TABLE device_keys (
    device_id     TEXT PRIMARY KEY,
    public_key    TEXT NOT NULL,
    registered_at BIGINT NOT NULL
);
CREATE TABLE attested_changes (
    hash      TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    posted_by TEXT NOT NULL
);
CREATE INDEX attested_changes_by_poster ON attested_changes (posted_by);
