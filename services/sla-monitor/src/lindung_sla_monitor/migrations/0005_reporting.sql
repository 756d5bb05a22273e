-- What operations report on, beside the deadlines: who reported the case, where the
-- child is, which attempt the referral is, and every delivery that failed for good.
-- Nothing here names or describes the child.

CREATE TABLE referral_facts (
    referral_id uuid     PRIMARY KEY,
    agency_id   text     NOT NULL,
    -- Null from routers that did not send the state.
    state       text,
    attempt     smallint NOT NULL,
    urgent      boolean  NOT NULL
);

CREATE TABLE delivery_failures (
    notification_id uuid        PRIMARY KEY,
    case_id         uuid        NOT NULL,
    referral_id     uuid,
    cause_type      text        NOT NULL,
    recipient       text        NOT NULL,
    channel         text        NOT NULL,
    failed_at       timestamptz NOT NULL
);
CREATE INDEX delivery_failures_at ON delivery_failures (failed_at);

-- The dashboard's period queries: referrals by when they were requested.
CREATE INDEX deadlines_requested_at ON deadlines (requested_at);
-- Escalations raised in a period, by level.
CREATE INDEX deadline_steps_fired_escalations ON deadline_steps (settled_at)
    WHERE state = 'fired' AND kind = 'escalation';
