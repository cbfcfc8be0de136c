-- PostgreSQL twin of migrations/sqlite/0017_sign_in.sql.
--
-- The second factor of sign-ins (issue 21): an account's authenticator
-- secret (RFC 6238), unconfirmed until a first code is right, with the last
-- time step a code was used for (each code is taken once) and the wrong
-- codes given in a row (too many hold the account's codes back a while). Like sessions
-- and passwords, not a fact of the register: nothing in the log makes it,
-- and a rebuild leaves it alone (so no foreign key: a rebuild empties and
-- refills accounts).
CREATE TABLE second_factors (
    account_id    TEXT PRIMARY KEY,
    secret        TEXT NOT NULL,
    confirmed_at  TEXT,
    last_step     BIGINT NOT NULL DEFAULT 0,
    failures      BIGINT NOT NULL DEFAULT 0,
    failed_at     TEXT,
    created_at    TEXT NOT NULL
);

-- A sign-in waiting for its code: the password was right. Stored by the
-- SHA-256 of the cookie's token, for a few minutes and a few tries.
CREATE TABLE sign_in_challenges (
    token_hash  TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    failures    BIGINT NOT NULL DEFAULT 0,
    expires_at  TEXT NOT NULL
);

-- Sign-ins through an OpenID provider (issue 21) waiting for the
-- provider's answer: stored by the SHA-256 of a cookie of the browser that
-- started them, with the `state` the answer must carry, the PKCE verifier
-- and the nonce; taken once.
CREATE TABLE sign_in_flows (
    cookie_hash  TEXT PRIMARY KEY,
    provider     TEXT NOT NULL,
    state        TEXT NOT NULL,
    verifier     TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    next         TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);

-- Identities at OpenID providers linked to accounts: by an administrator,
-- or at a first sign-in whose verified e-mail is an account's. Outside the
-- log like the rest of sign-in (an identifier may be a person's IIN).
CREATE TABLE identities (
    provider    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_account ON identities (account_id);
