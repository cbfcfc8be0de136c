-- The public audit log (docs/LOG.md). Every event becomes a log entry when
-- the writer sequences it, in the same transaction that appended it: `idx`
-- is its position in the log and `entry` the exact bytes hashed into the
-- tree (canonical JSON). Before sequencing, `entry` holds the public event
-- without its index. `salt` hides the private parts' digests.
ALTER TABLE events ADD COLUMN idx BIGINT;
ALTER TABLE events ADD COLUMN entry TEXT;
ALTER TABLE events ADD COLUMN salt TEXT;
-- What a rebuild needs besides the payload (JSON; never in the log entry).
ALTER TABLE events ADD COLUMN replay TEXT;
CREATE UNIQUE INDEX events_idx ON events (idx);
CREATE INDEX events_unsequenced ON events (seq) WHERE idx IS NULL;

-- The tree's hashes as C2SP tlog-tiles of height 8: key = level << 56 | index,
-- hashes = the tile's hashes concatenated (32 bytes each; fewer than 256 for
-- the right edge, which grows in place).
CREATE TABLE log_tiles (
    key     BIGINT PRIMARY KEY,
    hashes  BYTEA NOT NULL
);

-- Every signed checkpoint, one per committed batch.
CREATE TABLE log_checkpoints (
    size        BIGINT PRIMARY KEY,
    root        BYTEA NOT NULL,
    note        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- Public payloads too large for a log entry, referenced from it by digest.
CREATE TABLE log_documents (
    sha256  TEXT PRIMARY KEY,
    body    TEXT NOT NULL
);
