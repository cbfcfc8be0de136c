-- PostgreSQL twin of migrations/sqlite/0012_mail_outbox.sql.
--
-- Reliable mail (issue 19): each notice that reaches an account with an
-- address leaves a row here, written in the same transaction as the notice,
-- one per address. The server's mail worker sends them through the relay,
-- retrying with back-off; a sent mail's row is deleted, and one that failed
-- every attempt stays as a dead letter (dead_at set) for an administrator to
-- look at and retry. Not a query table: a rebuild from the log leaves it
-- alone, and replayed notices are not mailed again.
CREATE TABLE mail_outbox (
    id               TEXT PRIMARY KEY,
    -- The notice (notifications.id, kept through rebuilds); no foreign key,
    -- since a rebuild empties and refills notifications.
    notification_id  TEXT NOT NULL,
    address          TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    -- A worker that took the row holds it until then (several servers may
    -- share one database).
    lease_until      TEXT,
    last_error       TEXT,
    dead_at          TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (dead_at, next_attempt_at);
