-- Systems whose reports the authority has paused (issue 19): while a row is
-- here, the public intake refuses reports naming the system, with the
-- reason, which is public. Rebuilt from the events like every query table.
CREATE TABLE intake_pauses (
    system_id  TEXT PRIMARY KEY REFERENCES systems(id),
    reason     TEXT NOT NULL,
    paused_at  TEXT NOT NULL
);
