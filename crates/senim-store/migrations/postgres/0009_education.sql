-- PostgreSQL twin of migrations/sqlite/0009_education.sql: BIGINT for integers.
--
-- The courses of the Platform's education programmes, and an index of the
-- enrolments in them (the enrolments themselves are cases of kind
-- `enrolment`). Rebuilt from the events like every query table.

CREATE TABLE courses (
    id                        TEXT COLLATE "C" PRIMARY KEY,
    programme_id              TEXT NOT NULL REFERENCES programmes(id),
    -- The organisation that teaches it (its instructors record completions).
    provider_organisation_id  TEXT NOT NULL REFERENCES organisations(id),
    data                      TEXT NOT NULL,
    created_at                TEXT NOT NULL
);
CREATE INDEX courses_programme ON courses (programme_id, id);
CREATE INDEX courses_provider ON courses (provider_organisation_id, id);

-- One row per enrolment case, kept by the case writes: the seats a course
-- has given, a learner's one running enrolment in a course, the
-- certificates a reviewer holds and the entries a status list revokes.
CREATE TABLE enrolments (
    case_id                   TEXT COLLATE "C" PRIMARY KEY REFERENCES cases(id),
    course_id                 TEXT NOT NULL REFERENCES courses(id),
    learner_id                TEXT NOT NULL REFERENCES accounts(id),
    state                     TEXT NOT NULL,
    -- 1 while enrolled: it holds one of the course's seats.
    holds_seat                BIGINT NOT NULL,
    -- 1 while enrolled or completed: the learner's one running or
    -- completed enrolment in the course.
    counts                    BIGINT NOT NULL,
    -- The certificate's status list (a year) and entry, once completed.
    status_year               BIGINT,
    status_index              BIGINT
);
CREATE UNIQUE INDEX enrolments_one_per_learner ON enrolments (course_id, learner_id) WHERE counts = 1;
CREATE INDEX enrolments_course ON enrolments (course_id, state);
CREATE INDEX enrolments_learner ON enrolments (learner_id, state);
CREATE INDEX enrolments_revoked ON enrolments (status_year) WHERE state = 'revoked';
-- A status list's length: the highest entry given in its year.
CREATE INDEX enrolments_status ON enrolments (status_year, status_index);
