-- The National AI Platform's support programmes: programmes, their calls,
-- and an index of the applications to each call (the applications
-- themselves are cases of kind `application`). Rebuilt from the events like
-- every query table.

CREATE TABLE programmes (
    id               TEXT PRIMARY KEY,
    organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    kind             TEXT NOT NULL,
    data             TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX programmes_organisation ON programmes (organisation_id, id);

CREATE TABLE calls (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    programme_id     TEXT NOT NULL REFERENCES programmes(id),
    organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    -- First and last day of applications (YYYY-MM-DD).
    opens            TEXT NOT NULL,
    closes           TEXT NOT NULL,
    -- In the budget's unit (tiyn or credits): awards never sum above it.
    budget           INTEGER NOT NULL,
    -- Running totals of its applications, kept by every write of one
    -- under the write lock (so the budget check and the call's figures
    -- read one row, whatever the number of applications).
    applications     INTEGER NOT NULL,
    submitted        INTEGER NOT NULL,
    awards           INTEGER NOT NULL,
    awarded          INTEGER NOT NULL,
    data             TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX calls_programme ON calls (programme_id, id);

-- One row per application case, kept by the case writes.
CREATE TABLE applications (
    case_id          TEXT PRIMARY KEY REFERENCES cases(id),
    call_id          TEXT NOT NULL REFERENCES calls(id),
    organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    state            TEXT NOT NULL,
    -- 0 once refused, declined or withdrawn.
    active           INTEGER NOT NULL,
    -- Awarded so far, in the call's unit.
    awarded          INTEGER NOT NULL,
    submitted_at     TEXT,
    decided_at       TEXT
);
-- An organisation has at most one active application to a call.
CREATE UNIQUE INDEX applications_one_active ON applications (call_id, organisation_id)
    WHERE active = 1;
CREATE INDEX applications_call ON applications (call_id, state);
-- A call's awards, a page at a time.
CREATE INDEX applications_awards ON applications (call_id, case_id) WHERE awarded > 0;

-- The last number given under each stem (`APP-2027-`, `REG-2027-`,
-- `KZ-AI-2027-`, `CALL-2027-`), so numbering a new case reads one row
-- instead of scanning every number of its kind. Filled on first use from
-- the highest number stored; emptied by a rebuild and filled again the same
-- way (it is not part of a register's fingerprint).
CREATE TABLE number_counters (
    stem  TEXT PRIMARY KEY,
    last  INTEGER NOT NULL
);
