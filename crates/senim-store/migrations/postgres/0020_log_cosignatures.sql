-- PostgreSQL twin of migrations/sqlite/0020_log_cosignatures.sql.
--
-- Witnesses of this register's own log (issue 22, item 2): for each witness
-- asked (by its key's name), the size it last cosigned as far as this
-- register knows (its 409 answers move it) and the last error; and each
-- cosignature received, by checkpoint size, which /log/checkpoint serves
-- beside the log's own signature. Not part of the register: a rebuild keeps
-- them.
CREATE TABLE log_witnesses (
    witness     TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    error       TEXT,
    updated_at  TEXT NOT NULL
);
CREATE TABLE log_cosignatures (
    size         BIGINT NOT NULL,
    witness      TEXT NOT NULL,
    line         TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (size, witness)
);
