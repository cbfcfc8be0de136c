-- PostgreSQL twin of migrations/sqlite/0001_registry.sql: same tables, BIGINT
-- and BIGSERIAL for integers, and byte-order collation on ids so that cursor
-- pagination sorts exactly as on SQLite.

-- The registry core. Each table keeps the full record as JSON in `data`
-- (decoded by serde, so Rust and the database never disagree on a field) and
-- copies into columns only what queries filter, sort or constrain on.

CREATE TABLE organisations (
    id           TEXT COLLATE "C" PRIMARY KEY,
    bin          TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL,
    revision     BIGINT NOT NULL,
    search_text  TEXT NOT NULL,
    data         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE accounts (
    id               TEXT COLLATE "C" PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE,
    organisation_id  TEXT REFERENCES organisations(id),
    status           TEXT NOT NULL,
    revision         BIGINT NOT NULL,
    password_hash    TEXT,
    data             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE account_roles (
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    role        TEXT NOT NULL,
    PRIMARY KEY (account_id, role)
);

CREATE TABLE systems (
    id                      TEXT COLLATE "C" PRIMARY KEY,
    owner_organisation_id   TEXT NOT NULL REFERENCES organisations(id),
    holder_organisation_id  TEXT REFERENCES organisations(id),
    status                  TEXT NOT NULL,
    risk_level              TEXT,
    registry_number         TEXT UNIQUE,
    current_version         BIGINT NOT NULL,
    search_text             TEXT NOT NULL,
    -- The current version's profile and which documentation items it fills,
    -- so that re-classifying every system reads small rows only.
    profile                 TEXT NOT NULL,
    documented              TEXT NOT NULL,
    data                    TEXT NOT NULL,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX systems_owner ON systems (owner_organisation_id, id);
CREATE INDEX systems_holder ON systems (holder_organisation_id, id);
CREATE INDEX systems_status ON systems (status, id);
CREATE INDEX systems_risk ON systems (risk_level, id);

CREATE TABLE system_sectors (
    system_id  TEXT NOT NULL REFERENCES systems(id),
    sector     TEXT NOT NULL,
    PRIMARY KEY (system_id, sector)
);
CREATE INDEX system_sectors_sector ON system_sectors (sector, system_id);

CREATE TABLE system_versions (
    system_id   TEXT NOT NULL REFERENCES systems(id),
    version     BIGINT NOT NULL,
    data        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (system_id, version)
);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    token_hash  TEXT NOT NULL UNIQUE,
    data        TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    csrf_token  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Every change to the tables above, in order. The public audit log is built
-- from these events; the tables can be rebuilt from them.
CREATE TABLE events (
    seq           BIGSERIAL PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    time          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    actor         TEXT NOT NULL,
    payload       TEXT NOT NULL
);
CREATE INDEX events_subject ON events (subject_type, subject_id, seq);

-- Rule packs as published: the text is kept, so every classification can be
-- explained again later with the exact pack that made it.
CREATE TABLE rulepacks (
    id            TEXT NOT NULL,
    version       TEXT NOT NULL,
    source        TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

-- Every classification ever made, oldest first; a system's current one is
-- its row with the highest seq (systems.risk_level copies its level for filtering).
CREATE TABLE classifications (
    seq           BIGSERIAL PRIMARY KEY,
    system_id     TEXT NOT NULL REFERENCES systems(id),
    version       BIGINT NOT NULL,
    pack_id       TEXT NOT NULL,
    pack_version  TEXT NOT NULL,
    risk_level    TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    gaps          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX classifications_system ON classifications (system_id, seq);

-- Each publication of a pack version, with its change report.
CREATE TABLE rulepack_publications (
    seq           BIGSERIAL PRIMARY KEY,
    pack_id       TEXT NOT NULL,
    pack_version  TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    reclassified  BIGINT NOT NULL,
    changed       BIGINT NOT NULL,
    report        TEXT NOT NULL
);
