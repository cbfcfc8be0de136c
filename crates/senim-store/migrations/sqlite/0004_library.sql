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
