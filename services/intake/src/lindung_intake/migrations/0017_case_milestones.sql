-- Legal milestones a case coordinator recorded (lindung_contracts.MilestoneKind): a code
-- and when it happened, never words. One of each kind per case; the sla-monitor runs
-- the legal clocks they start and stop.
CREATE TABLE case_milestones (
    milestone_id   uuid        PRIMARY KEY,
    case_id        uuid        NOT NULL REFERENCES cases (case_id),
    kind           text        NOT NULL CHECK (kind IN ('taken_into_care', 'protector_notified',
                       'brought_before_protector', 'medical_examination_done',
                       'court_date_set', 'legal_aid_in_place')),
    at             timestamptz NOT NULL,
    court_date     date        CHECK ((kind = 'court_date_set') = (court_date IS NOT NULL)),
    coordinator_id text        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    UNIQUE (case_id, kind)
);
