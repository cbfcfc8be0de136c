-- PostgreSQL twin of migrations/sqlite/0003_cases.sql: BIGINT for integers.
--
-- The authority's work: cases (registration dossiers now; audits, reports
-- and investigations later), who works on them, the reviewer pool, and the
-- notices each step leaves in people's inboxes. Like every query table, all
-- of it is rebuilt from the events.

CREATE TABLE cases (
    id               TEXT COLLATE "C" PRIMARY KEY,
    kind             TEXT NOT NULL,
    number           TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL,
    is_open          BIGINT NOT NULL,
    system_id        TEXT REFERENCES systems(id),
    organisation_id  TEXT REFERENCES organisations(id),
    revision         BIGINT NOT NULL,
    -- The day the authority must act by (YYYY-MM-DD), NULL while paused or
    -- closed: ordering by it puts overdue cases first.
    due_date         TEXT,
    -- SHA-256 of the tracking code a report's submitter follows it with.
    tracking_hash    TEXT UNIQUE,
    data             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX cases_queue ON cases (kind, is_open, due_date, id);
CREATE INDEX cases_system ON cases (system_id, created_at);
-- A system has at most one registration dossier in review at a time.
CREATE UNIQUE INDEX cases_one_open_registration ON cases (system_id)
    WHERE kind = 'registration' AND is_open = 1;
-- ... and at most one trusted-list application in progress.
CREATE UNIQUE INDEX cases_one_open_list_application ON cases (system_id)
    WHERE kind = 'trusted_list' AND is_open = 1;

CREATE TABLE case_assignees (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    is_open     BIGINT NOT NULL,
    PRIMARY KEY (case_id, account_id)
);
CREATE INDEX case_assignees_account ON case_assignees (account_id, is_open);

CREATE TABLE reviewers (
    account_id  TEXT PRIMARY KEY REFERENCES accounts(id),
    active      BIGINT NOT NULL,
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- recipient: `account:<id>`, `organisation:<id>` or `role:<role>`.
CREATE TABLE notifications (
    -- A time-ordered UUID, written in the event: the inbox's order and cursor.
    id          TEXT PRIMARY KEY,
    recipient   TEXT NOT NULL,
    case_id     TEXT,
    system_id   TEXT,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX notifications_recipient ON notifications (recipient, id);
CREATE INDEX notifications_system ON notifications (system_id, kind);
