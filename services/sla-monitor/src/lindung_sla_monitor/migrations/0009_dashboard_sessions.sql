-- People sign in to the operations dashboard through OpenID Connect (`lindung_common.signin`).
-- The same shape as intake's desk tables, kept here in the sla-monitor's own schema.

-- A sign-in under way: the browser holds only a random id (its SHA-256 is the key here);
-- state, nonce and the PKCE verifier stay on the server. Used once, then deleted.
CREATE TABLE dashboard_sign_ins (
    pending_hash bytea       PRIMARY KEY,
    state        text        NOT NULL,
    nonce        text        NOT NULL,
    verifier     text        NOT NULL,
    return_to    text        NOT NULL,
    started_at   timestamptz NOT NULL
);
CREATE INDEX dashboard_sign_ins_started ON dashboard_sign_ins (started_at);

-- A person's session: the cookie holds a random id, of which only the SHA-256 is kept.
-- Only operations people read the dashboard. Ended at sign-out (`ended_at`); idle and
-- absolute timeouts are judged from the times.
CREATE TABLE dashboard_sessions (
    session_hash   bytea       PRIMARY KEY,
    person         text        NOT NULL,
    subject        text        NOT NULL,
    principal_kind text        NOT NULL CHECK (principal_kind = 'operations'),
    principal_id   text        NOT NULL,
    states         text[]      NOT NULL DEFAULT '{}',
    language       text        NOT NULL CHECK (language IN ('en', 'ms')),
    -- Sent back to the identity provider at sign-out (`id_token_hint`).
    id_token       text        NOT NULL,
    started_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    ended_at       timestamptz,
    CHECK (last_seen_at >= started_at)
);
CREATE INDEX dashboard_sessions_person ON dashboard_sessions (person, started_at);
