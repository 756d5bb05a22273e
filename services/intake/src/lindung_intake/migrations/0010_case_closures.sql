-- A case coordinator can close a case of the states they cover with an outcome
-- (lindung_contracts.CaseOutcome), a reason code if they like, and a note (sealed, like
-- every note). Intake records each request here and passes it to the router, which
-- cancels the referrals still awaiting acceptance; the router's CaseClosed, mirrored
-- here, says the case is closed. One request per case: a second is refused with 409.

-- The reason codes, with the router's own for a referral cancelled by a case's closing.
CREATE OR REPLACE FUNCTION is_reason_code(code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT code IN ('at_capacity', 'not_eligible', 'outside_area', 'language',
                    'cannot_reach_child', 'child_in_hospital', 'child_missing',
                    'child_declined', 'safety_concern', 'child_available',
                    'coordinator_arranged', 'no_answer', 'undelivered', 'case_closed', 'other')
$$;

-- The case outcomes. A new outcome is a new migration replacing this function.
CREATE FUNCTION is_case_outcome(code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT code IN ('services_in_place', 'transferred', 'reunified', 'child_missing',
                    'merged', 'opened_in_error', 'other')
$$;

CREATE TABLE case_closures (
    request_id     uuid        PRIMARY KEY,
    case_id        uuid        NOT NULL UNIQUE REFERENCES cases (case_id),
    coordinator_id text        NOT NULL,
    outcome        text        NOT NULL CHECK (is_case_outcome(outcome)),
    reason         text        CHECK (reason IS NULL OR is_reason_code(reason)),
    asked_at       timestamptz NOT NULL,
    -- Set from the router's CaseClosed: the case is closed, its waiting referrals cancelled.
    closed_at      timestamptz,
    cancelled      uuid[]
);

-- A note about closing goes with the whole case, not with one of its referrals.
ALTER TABLE notes ALTER COLUMN referral_id DROP NOT NULL;
ALTER TABLE notes DROP CONSTRAINT notes_about_check;
ALTER TABLE notes ADD CONSTRAINT notes_about_check CHECK (about IN
    ('accept', 'decline', 'start', 'complete', 'fail', 'pause', 'resume', 'reassign', 'close'));
ALTER TABLE notes ADD CONSTRAINT notes_referral_unless_closing
    CHECK ((referral_id IS NULL) = (about = 'close'));
CREATE INDEX notes_case ON notes (case_id, written_at) WHERE referral_id IS NULL;
