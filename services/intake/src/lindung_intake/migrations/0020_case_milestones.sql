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

-- A legal clock that ran out is an alert to the case coordinator, as the others are.
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check CHECK (kind IN
    ('deadline_missed', 'package_missed', 'no_provider', 'detention', 'delivery_failed',
     'legal_clock_missed'));

-- Where each legal clock of a case stands, as the sla-monitor says (LegalClockChanged),
-- for the case page: running, met, late or missed.
CREATE TABLE legal_clocks (
    case_id    uuid        NOT NULL REFERENCES cases (case_id),
    clock      text        NOT NULL,
    state      text        NOT NULL CHECK (state IN ('running', 'met', 'late', 'missed')),
    started_by text        NOT NULL,
    started_at timestamptz NOT NULL,
    stopped_by text        NOT NULL,
    due_at     timestamptz NOT NULL,
    stopped_at timestamptz,
    source     text        NOT NULL,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, clock)
);
