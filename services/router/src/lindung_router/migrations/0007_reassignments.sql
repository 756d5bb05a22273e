-- A case coordinator can send a referral to another provider (one they have just phoned,
-- or the next suitable one). Every such request the router applied is kept here: who
-- asked, whom they chose, whom the router asked (the next suitable one where the chosen
-- provider could not be asked), and why, as a code. A request seen again finds its
-- referral withdrawn and changes nothing; the request id is unique all the same.

-- The reason codes, with a coordinator's arrangement and the router's own codes for a
-- silence and a referral that never arrived (lindung_contracts.ReasonCode).
CREATE OR REPLACE FUNCTION is_reason_code(code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT code IN ('at_capacity', 'not_eligible', 'outside_area', 'language',
                    'cannot_reach_child', 'child_in_hospital', 'child_missing',
                    'child_declined', 'safety_concern', 'child_available',
                    'coordinator_arranged', 'no_answer', 'undelivered', 'other')
$$;

-- A coordinator may send a referral back to a provider asked before (one that was full
-- this morning has a bed tonight, on the phone). Automatic routing still never asks a
-- provider twice for a service of a case (it skips every provider already asked), and
-- each attempt number is still used once.
ALTER TABLE referrals DROP CONSTRAINT referrals_case_id_service_provider_id_key;

CREATE TABLE reassignments (
    request_id         uuid        PRIMARY KEY,
    referral_id        uuid        NOT NULL REFERENCES referrals (referral_id),
    coordinator_id     text        NOT NULL,
    -- The provider the coordinator chose; NULL for "the next suitable one".
    chosen_provider_id text,
    -- The provider the router asked; NULL when nobody suitable was left (service unmet).
    asked_provider_id  text,
    reason             text        NOT NULL CHECK (is_reason_code(reason)),
    at                 timestamptz NOT NULL
);
CREATE INDEX reassignments_referral ON reassignments (referral_id, at);
