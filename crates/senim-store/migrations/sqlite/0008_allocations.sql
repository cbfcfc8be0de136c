-- The Platform's resources (compute pools, ready models, restricted
-- datasets) and an index of the allocations that awards buy from them (the
-- allocations themselves are cases of kind `allocation`). Rebuilt from the
-- events like every query table.

CREATE TABLE platform_resources (
    id                        TEXT PRIMARY KEY,
    provider_organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    kind                      TEXT NOT NULL,
    -- Units that requested and active allocations may hold at once.
    capacity                  INTEGER NOT NULL,
    data                      TEXT NOT NULL,
    created_at                TEXT NOT NULL
);
CREATE INDEX platform_resources_provider ON platform_resources (provider_organisation_id, id);

-- One row per allocation case, kept by the case writes: the credits an
-- award has committed and the units a resource has given out are sums over
-- it, checked in the same transaction as the write.
CREATE TABLE allocations (
    case_id                   TEXT PRIMARY KEY REFERENCES cases(id),
    application_id            TEXT NOT NULL REFERENCES cases(id),
    resource_id               TEXT NOT NULL REFERENCES platform_resources(id),
    provider_organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    -- The organisation running the call (it decides extensions).
    programme_organisation_id TEXT NOT NULL REFERENCES organisations(id),
    state                     TEXT NOT NULL,
    -- 1 while an extension waits for the programme's decision.
    awaiting_programme        INTEGER NOT NULL,
    -- 0 once refused (its credits and units are free again); an expired
    -- allocation keeps its credits (they were spent) but not its units.
    holds_credits             INTEGER NOT NULL,
    holds_units               INTEGER NOT NULL,
    credits                   INTEGER NOT NULL,
    units                     INTEGER NOT NULL,
    -- The last usable day (YYYY-MM-DD).
    ends                      TEXT NOT NULL,
    -- When the provider approved it (RFC 3339): the award became usable.
    approved_at               TEXT
);
CREATE INDEX allocations_application ON allocations (application_id);
CREATE INDEX allocations_resource ON allocations (resource_id) WHERE holds_units = 1;
CREATE INDEX allocations_provider ON allocations (provider_organisation_id, state);
CREATE INDEX allocations_programme ON allocations (programme_organisation_id) WHERE awaiting_programme = 1;
-- The sweep's work: active allocations by last day.
CREATE INDEX allocations_running ON allocations (ends) WHERE state = 'active';
