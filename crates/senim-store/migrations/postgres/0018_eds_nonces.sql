-- PostgreSQL twin of migrations/sqlite/0018_eds_nonces.sql.
--
-- Signing in with an electronic digital signature (issue 21): the texts
-- the sign-in page asked a key to sign, by their SHA-256, for a few
-- minutes; each is taken once, by the first signature that comes back
-- with it (right or wrong). Like the rest of sign-in, outside the log.
CREATE TABLE eds_nonces (
    nonce_hash  TEXT PRIMARY KEY,
    expires_at  TEXT NOT NULL
);
