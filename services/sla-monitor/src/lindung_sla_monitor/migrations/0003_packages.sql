-- The whole-package deadline of a case: every referral accepted within the policy's
-- window of identification (72 h by default), else one case-level escalation.
CREATE TABLE case_packages (
    case_id    uuid PRIMARY KEY,
    due_at     timestamptz NOT NULL,
    state      text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fired', 'met')),
    settled_at timestamptz,
    -- The one alert it raised, with the outbox row's id: never raised twice.
    event_id   uuid        UNIQUE,
    CHECK ((state = 'fired') = (event_id IS NOT NULL)),
    CHECK ((state = 'pending') = (settled_at IS NULL))
);
CREATE INDEX case_packages_pending_due ON case_packages (due_at) WHERE state = 'pending';
CREATE INDEX deadlines_open_case ON deadlines (case_id) WHERE status = 'open';
