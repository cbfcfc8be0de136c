-- How far into the audit log the query tables are (issue 19, finding 3): the
-- size of the newest checkpoint, written in the same transaction as the
-- tables' changes and the checkpoint. A log truncated or restored apart
-- from the tables (events, tiles and checkpoints put back to an older
-- state) leaves this ahead of the newest checkpoint, which the start-up
-- check refuses: the tables then hold changes the log no longer has.
CREATE TABLE applied_log (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    size  BIGINT NOT NULL
);
INSERT INTO applied_log (id, size)
    SELECT 1, COALESCE(MAX(size), 0) FROM log_checkpoints;
