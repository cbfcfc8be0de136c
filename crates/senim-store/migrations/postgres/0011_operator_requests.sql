-- PostgreSQL twin of migrations/sqlite/0011_operator_requests.sql.
--
-- An organisation named as a system's operator by another (the owner)
-- becomes its operator only when it accepts (issue 19): until then the
-- system is not listed under it, and its accounts get no reader's rights
-- on the system. One row per system with a pending request; the row goes
-- when the named organisation answers, when a later version names another
-- operator or none, and when the system is withdrawn. Rebuilt from the
-- events like every query table.
CREATE TABLE operator_requests (
    system_id        TEXT PRIMARY KEY REFERENCES systems(id),
    organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    -- The version that named it, and when.
    version          BIGINT NOT NULL,
    requested_at     TEXT NOT NULL
);
CREATE INDEX operator_requests_organisation ON operator_requests (organisation_id, requested_at);
