-- The desk: people sign in through OpenID Connect and act on referrals in their browser.

-- A sign-in under way: the browser holds only a random id (its SHA-256 is the key here),
-- so a callback is taken only from the browser that started it; state, nonce and the PKCE
-- verifier stay on the server. Used once, then deleted.
CREATE TABLE desk_sign_ins (
    pending_hash bytea       PRIMARY KEY,
    state        text        NOT NULL,
    nonce        text        NOT NULL,
    verifier     text        NOT NULL,
    return_to    text        NOT NULL,
    started_at   timestamptz NOT NULL
);
CREATE INDEX desk_sign_ins_started ON desk_sign_ins (started_at);

-- A person's session: the cookie holds a random id, of which only the SHA-256 is kept.
-- Ended at sign-out (`ended_at`); idle and absolute timeouts are judged from the times.
CREATE TABLE desk_sessions (
    session_hash bytea       PRIMARY KEY,
    person       text        NOT NULL,
    subject      text        NOT NULL,
    principal_kind text      NOT NULL CHECK (principal_kind IN
        ('provider', 'coordinator', 'operations')),
    principal_id text        NOT NULL,
    states       text[]      NOT NULL DEFAULT '{}',
    language     text        NOT NULL CHECK (language IN ('en', 'ms')),
    -- Sent back to the identity provider at sign-out (`id_token_hint`).
    id_token     text        NOT NULL,
    started_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz,
    CHECK (last_seen_at >= started_at)
);
CREATE INDEX desk_sessions_person ON desk_sessions (person, started_at);

-- A read through the desk names the person who read, beside the provider or coordinator
-- they read as (NULL for a read with an API key).
ALTER TABLE read_audit ADD COLUMN reader_person text;

-- When each referral is due, from the router's ReferralRequested: the desk's inbox shows
-- the time left. NULL only for referrals stored before this column existed.
ALTER TABLE referral_access ADD COLUMN due_at timestamptz;
CREATE INDEX referral_access_provider ON referral_access (provider_id, requested_at);
