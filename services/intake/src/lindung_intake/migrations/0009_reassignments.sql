-- A case coordinator can send a referral to another provider (one they have just phoned,
-- or the next suitable one), with a reason code and, if they like, a note (sealed, like
-- every note). Intake records each request here and passes it to the router, which owns
-- the provider directory and decides whom it asks. One request per referral: the router
-- withdraws the referral on the first, so a second is refused with 409.

-- The reason codes, with a coordinator's arrangement and the router's own codes for a
-- silence and a referral that never arrived (lindung_contracts.ReasonCode).
CREATE OR REPLACE FUNCTION is_reason_code(code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT code IN ('at_capacity', 'not_eligible', 'outside_area', 'language',
                    'cannot_reach_child', 'child_in_hospital', 'child_missing',
                    'child_declined', 'safety_concern', 'child_available',
                    'coordinator_arranged', 'no_answer', 'undelivered', 'other')
$$;

CREATE TABLE reassignments (
    request_id     uuid        PRIMARY KEY,
    referral_id    uuid        NOT NULL UNIQUE REFERENCES referral_access (referral_id),
    coordinator_id text        NOT NULL,
    -- The provider the coordinator chose; NULL for "the next suitable one".
    provider_id    text,
    reason         text        NOT NULL CHECK (is_reason_code(reason)),
    at             timestamptz NOT NULL
);

ALTER TABLE notes DROP CONSTRAINT notes_about_check;
ALTER TABLE notes ADD CONSTRAINT notes_about_check CHECK (about IN
    ('accept', 'decline', 'start', 'complete', 'fail', 'pause', 'resume', 'reassign'));
