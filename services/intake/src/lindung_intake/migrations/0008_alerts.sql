-- The alerts to coordinators and supervisors, mirrored from the deadlines and referrals
-- topics (ids, codes and times only), with the state of their case, so a coordinator is
-- shown the alerts of the states they cover; and who acknowledged each, when.
CREATE TABLE alerts (
    alert_id           uuid        PRIMARY KEY,  -- the alert event's id
    kind               text        NOT NULL CHECK (kind IN
                       ('deadline_missed', 'package_missed', 'no_provider', 'detention')),
    case_id            uuid        NOT NULL,
    referral_id        uuid,
    escalation_level   smallint    CHECK (escalation_level BETWEEN 1 AND 3),
    notify             text        NOT NULL,
    state              text,
    raised_at          timestamptz NOT NULL,
    detail             jsonb       NOT NULL,
    acknowledgement_id uuid        UNIQUE,
    acknowledged_by    text,
    acknowledged_at    timestamptz,
    CHECK ((kind = 'deadline_missed') = (referral_id IS NOT NULL AND escalation_level IS NOT NULL)),
    CHECK ((acknowledgement_id IS NULL) = (acknowledged_by IS NULL)),
    CHECK ((acknowledgement_id IS NULL) = (acknowledged_at IS NULL))
);
-- A coordinator's queue: the open ones of their states first, newest first.
CREATE INDEX alerts_queue ON alerts (state, (acknowledgement_id IS NOT NULL), raised_at DESC);
