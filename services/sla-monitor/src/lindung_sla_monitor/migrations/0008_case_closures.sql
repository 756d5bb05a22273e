-- A case coordinator can close a case with an outcome (lindung_contracts.CaseOutcome). The
-- router cancels the case's referrals still awaiting acceptance first (each one's clock
-- stops as any cancellation stops it), then says CaseClosed: the case's package deadline
-- is settled as closed then, so it raises no alert, and the closing is kept for the
-- dashboard's "cases closed" (codes only).

ALTER TABLE case_packages DROP CONSTRAINT case_packages_state_check;
ALTER TABLE case_packages ADD CONSTRAINT case_packages_state_check
    CHECK (state IN ('pending', 'fired', 'met', 'closed'));

CREATE TABLE case_closures (
    case_id   uuid        PRIMARY KEY,
    outcome   text        NOT NULL CHECK (outcome IN ('services_in_place', 'transferred',
                  'reunified', 'child_missing', 'merged', 'opened_in_error', 'other')),
    -- How many referrals the closing cancelled, and how many it left with their providers.
    cancelled integer     NOT NULL CHECK (cancelled >= 0),
    continuing integer    NOT NULL CHECK (continuing >= 0),
    closed_at timestamptz NOT NULL
);
-- The dashboard's period query: cases closed in a period.
CREATE INDEX case_closures_closed_at ON case_closures (closed_at);
