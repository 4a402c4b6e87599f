-- danvan-server schema, version 9 (SQLite): which devices have written to each record (issue 11,
-- ADR 0003 "A checker above the commune"). A checker enrolled above the commune receives only
-- the democracy checks it has written to, so the server must know a record's authors after
-- compaction has folded several devices' changes into one snapshot. Never edit once released:
-- add a new numbered file.
--
-- The write path adds (record, device) the first time a device's change to the record is
-- accepted (ON CONFLICT DO NOTHING; `WHERE true` below lets SQLite parse ON CONFLICT after a
-- SELECT). Records written before this version are filled in from
-- what still names a device: the chunk origins and a snapshot holding one device's changes
-- alone. A record compacted from several devices before this version lost its authors; a
-- checker above the commune that co-wrote one receives its later changes only after writing to
-- it again.
CREATE TABLE doc_authors (
    doc_id    TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    device_id TEXT NOT NULL,
    PRIMARY KEY (doc_id, device_id)
);
CREATE INDEX doc_authors_by_device ON doc_authors (device_id, doc_id);

INSERT INTO doc_authors (doc_id, device_id)
SELECT DISTINCT doc_id, origin FROM doc_chunks WHERE true
ON CONFLICT DO NOTHING;
INSERT INTO doc_authors (doc_id, device_id)
SELECT id, snapshot_origin FROM documents WHERE snapshot_origin IS NOT NULL
ON CONFLICT DO NOTHING;
