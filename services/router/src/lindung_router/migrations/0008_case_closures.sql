-- A case coordinator can close a case with an outcome (lindung_contracts.CaseOutcome). The
-- router cancels the case's referrals still awaiting acceptance (withdrawn, reason code
-- `case_closed`), leaves those accepted or under way with their providers, routes nothing
-- more for the case, and keeps the closing here: once per case, whatever repeats.

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
    case_id        uuid        PRIMARY KEY REFERENCES cases (case_id),
    request_id     uuid        NOT NULL UNIQUE,
    coordinator_id text        NOT NULL,
    outcome        text        NOT NULL CHECK (is_case_outcome(outcome)),
    reason         text        CHECK (reason IS NULL OR is_reason_code(reason)),
    closed_at      timestamptz NOT NULL,
    -- The referrals cancelled, and those left with their providers to complete.
    cancelled      uuid[]      NOT NULL,
    continuing     uuid[]      NOT NULL
);
