-- PostgreSQL twin of migrations/sqlite/0010_affiliations.sql.
--
-- What automatic conflict-of-interest detection needs beyond the register:
-- the organisations an account belonged to before, and the organisations
-- that applied to a call together. Rebuilt from the events like every
-- query table.

-- An account's former organisation, written when an update moves the
-- account to another organisation (or to none): a reviewer stays in
-- conflict with it for two years.
CREATE TABLE affiliations (
    account_id       TEXT NOT NULL REFERENCES accounts(id),
    organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    -- When the account left it (the update's time).
    until_at         TEXT NOT NULL
);
CREATE INDEX affiliations_account ON affiliations (account_id);

-- The organisations of each submitted joint application, the applicant's
-- and its partners' (an application without partners has no rows): their
-- reviewers review none of the others' applications for three years.
CREATE TABLE application_parties (
    case_id          TEXT NOT NULL REFERENCES cases(id),
    organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    submitted_at     TEXT NOT NULL,
    PRIMARY KEY (case_id, organisation_id)
);
CREATE INDEX application_parties_organisation ON application_parties (organisation_id, submitted_at);
