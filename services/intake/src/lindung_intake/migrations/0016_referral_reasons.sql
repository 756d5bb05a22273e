-- Why the router chose each referral's provider (`ReferralRequested.matched_by`: the
-- fallback tier, e.g. "serves selangor") and which better-ranked providers it passed
-- over and why (`passed_over`: [{provider_id, reason}], reason a
-- `lindung_contracts.PassedOverCode`). Provider ids and codes only: nothing about the
-- child. Referrals heard before this migration show neither.
ALTER TABLE referral_access
    ADD COLUMN matched_by  text,
    ADD COLUMN passed_over jsonb NOT NULL DEFAULT '[]'::jsonb
        CHECK (jsonb_typeof(passed_over) = 'array');
