-- Senim as a witness of other logs (issue 22, C2SP tlog-witness): for each
-- log witnessed, by its origin, the latest checkpoint this witness cosigned:
-- its size, its root (base64), and the note monitors read (the checkpoint,
-- the log's signatures verified, this witness's cosignature). Replaced only
-- by a checkpoint consistent with it, from its size (a compare-and-set on
-- size), so it never goes back and never holds two roots for one size.
-- Not part of the register, and not derived from its log: a rebuild keeps it.
CREATE TABLE witnessed (
    origin      TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    root        TEXT NOT NULL,
    note        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
