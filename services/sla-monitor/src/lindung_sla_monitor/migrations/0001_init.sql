-- Every referral's response window and its ladder of warnings and escalations.
-- PostgreSQL is the truth: the timer reads due steps from here after any restart.

CREATE TABLE deadlines (
    referral_id   uuid        PRIMARY KEY,
    case_id       uuid        NOT NULL,
    provider_id   text        NOT NULL,
    service       text        NOT NULL,
    -- Null only while the referral is known from a closure that overtook its request.
    requested_at  timestamptz,
    due_at        timestamptz,
    status        text        NOT NULL CHECK (status IN ('open', 'closed')),
    closed_reason text,
    closed_at     timestamptz,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'closed') = (closed_reason IS NOT NULL AND closed_at IS NOT NULL)),
    CHECK (status = 'closed' OR (requested_at IS NOT NULL AND due_at IS NOT NULL))
);
CREATE INDEX deadlines_open_due ON deadlines (due_at) WHERE status = 'open';

CREATE TABLE deadline_steps (
    referral_id       uuid        NOT NULL REFERENCES deadlines (referral_id),
    step_no           smallint    NOT NULL,
    kind              text        NOT NULL CHECK (kind IN ('warning', 'escalation')),
    level             smallint    NOT NULL,
    percent_of_window integer     NOT NULL,
    at                timestamptz NOT NULL,
    notify            text        NOT NULL,
    state             text        NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'fired', 'skipped', 'cancelled')),
    settled_at        timestamptz,
    note              text,
    -- The one event this step raised. Unique, and the same id as the outbox row, so a
    -- step can never be raised twice whoever fires it.
    event_id          uuid        UNIQUE,
    -- One row per (referral, step): a redelivered request adds no second ladder.
    PRIMARY KEY (referral_id, step_no),
    CHECK ((state = 'fired') = (event_id IS NOT NULL)),
    CHECK ((state = 'pending') = (settled_at IS NULL))
);
CREATE INDEX deadline_steps_pending_at ON deadline_steps (at) WHERE state = 'pending';
