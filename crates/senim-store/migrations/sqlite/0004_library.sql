-- The data library: datasets and their metadata (files come with their
-- own tables). Rebuilt from the events like every query table.

CREATE TABLE datasets (
    id               TEXT PRIMARY KEY,
    organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    access           TEXT NOT NULL,
    revision         INTEGER NOT NULL,
    search_text      TEXT NOT NULL,
    data             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX datasets_organisation ON datasets (organisation_id, id);
CREATE INDEX datasets_access ON datasets (access, id);

-- Files of datasets; the bytes live in the blob storage under their SHA-256.
CREATE TABLE resources (
    id          TEXT PRIMARY KEY,
    dataset_id  TEXT NOT NULL REFERENCES datasets(id),
    sha256      TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX resources_dataset ON resources (dataset_id, id);
CREATE INDEX resources_sha256 ON resources (sha256);

-- The datasets each system's current version was trained, validated or tested on.
CREATE TABLE system_datasets (
    system_id   TEXT NOT NULL REFERENCES systems(id),
    dataset_id  TEXT NOT NULL REFERENCES datasets(id),
    role        TEXT NOT NULL,
    PRIMARY KEY (system_id, dataset_id, role)
);
CREATE INDEX system_datasets_dataset ON system_datasets (dataset_id, system_id);
