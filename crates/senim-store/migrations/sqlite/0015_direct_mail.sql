-- Mails that answer a person rather than carry a notice (issue 20): a
-- report's tracking code to the address its reporter gave, a link to choose
-- a password. Such a row names no notification (notification_id is empty)
-- and `message` holds the mail as JSON: its message id, arguments and the
-- path its link leads to. It may hold a secret until sent; a sent row is
-- deleted, and a dead letter's message is shown to no one.
ALTER TABLE mail_outbox ADD COLUMN message TEXT;

-- Links to choose a new password (issue 20): each stored by the SHA-256 of
-- its token, for one account, until it expires or is used, whichever comes
-- first. Not a query table: nothing in the log makes or needs it, and a
-- rebuild leaves it alone; no foreign key, since a rebuild empties and
-- refills accounts (the use checks the account then).
CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX password_resets_account ON password_resets (account_id);

-- Requests from the public for an organisation's account (issue 20), until
-- an administrator approves or refuses them. They hold a person's name and
-- address, so they stay out of the public log; approving one makes the
-- organisation and its account with the logged commands an administrator
-- uses. Not a query table: a rebuild leaves it alone.
CREATE TABLE organisation_requests (
    id          TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX organisation_requests_status ON organisation_requests (status, created_at);

-- The registration wizard's answers saved half-way (issue 20): private to
-- the account that saved them, until the wizard is finished or the draft
-- thrown away. Not a query table: nothing in the log makes it.
CREATE TABLE wizard_drafts (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    title       TEXT NOT NULL,
    step        BIGINT NOT NULL,
    form        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX wizard_drafts_account ON wizard_drafts (account_id, updated_at);
