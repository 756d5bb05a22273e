-- The chained legal clocks (policy/legal_clocks.toml): a case's milestones as a case
-- coordinator recorded them, and the clocks they started and stopped. The first record
-- of each kind per case is the one that counts; a clock keeps the source and due time
-- its rule gave when it started, and raises at most one alert (its event id).
CREATE TABLE case_milestones (
    case_id        uuid        NOT NULL,
    kind           text        NOT NULL CHECK (kind IN ('taken_into_care', 'protector_notified',
                       'brought_before_protector', 'medical_examination_done',
                       'court_date_set', 'legal_aid_in_place')),
    at             timestamptz NOT NULL,
    court_date     date        CHECK (court_date IS NULL OR kind = 'court_date_set'),
    milestone_id   uuid        NOT NULL UNIQUE,
    coordinator_id text        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    PRIMARY KEY (case_id, kind)
);

CREATE TABLE legal_clocks (
    case_id     uuid        NOT NULL,
    clock       text        NOT NULL,
    started_by  text        NOT NULL,
    started_at  timestamptz NOT NULL,
    stopped_by  text        NOT NULL CHECK (stopped_by <> started_by),
    due_at      timestamptz NOT NULL,
    source      text        NOT NULL,
    state       text        NOT NULL DEFAULT 'running'
                    CHECK (state IN ('running', 'met', 'late', 'missed')),
    stopped_at  timestamptz,
    fired_at    timestamptz,
    event_id    uuid        UNIQUE,
    PRIMARY KEY (case_id, clock),
    CHECK ((state = 'missed') = (event_id IS NOT NULL)),
    CHECK ((state = 'missed') = (fired_at IS NOT NULL)),
    CHECK (state <> 'running' OR stopped_at IS NULL),
    CHECK (state NOT IN ('met', 'late') OR stopped_at IS NOT NULL),
    CHECK (state <> 'met' OR stopped_at <= due_at),
    CHECK (state <> 'late' OR stopped_at > due_at)
);
CREATE INDEX legal_clocks_running_due ON legal_clocks (due_at) WHERE state = 'running';
