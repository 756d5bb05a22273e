-- An urgent referral of a service the policy marks (shelter, by default) is offered to
-- several providers at once: one row per provider asked, sharing `offer_id` (the first
-- referral's id) and the attempt number. The first acceptance takes it and the others are
-- withdrawn (reason code `taken_elsewhere`); a re-route makes the next offer, with the
-- next attempt number. NULL for a referral made to one provider.
ALTER TABLE referrals ADD COLUMN offer_id uuid;
CREATE INDEX referrals_offer ON referrals (offer_id, referral_id) WHERE offer_id IS NOT NULL;

-- One attempt number per service of a case still, except that an offer's referrals share it.
ALTER TABLE referrals DROP CONSTRAINT referrals_case_id_service_attempt_key;
CREATE UNIQUE INDEX referrals_one_attempt ON referrals (case_id, service, attempt)
    WHERE offer_id IS NULL;
-- Within an offer, each provider once.
CREATE UNIQUE INDEX referrals_offer_provider ON referrals (offer_id, provider_id)
    WHERE offer_id IS NOT NULL;

-- The reason codes, with the router's own for a referral another provider of its offer
-- accepted first.
CREATE OR REPLACE FUNCTION is_reason_code(code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT code IN ('at_capacity', 'not_eligible', 'outside_area', 'language',
                    'cannot_reach_child', 'child_in_hospital', 'child_missing',
                    'child_declined', 'safety_concern', 'child_available',
                    'coordinator_arranged', 'no_answer', 'undelivered', 'case_closed',
                    'taken_elsewhere', 'other')
$$;
