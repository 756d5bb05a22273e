-- The closed loop: what each completed referral did for the child, for the dashboard's
-- "services delivered". One row per completed referral, from ReferralCompleted; codes
-- only (`lindung_contracts.Outcome`, `ReasonCode`), never a person's words.

CREATE TABLE referral_outcomes (
    referral_id    uuid        PRIMARY KEY,
    case_id        uuid        NOT NULL,
    provider_id    text        NOT NULL,
    service        text        NOT NULL,
    -- Null: the provider did not say (or completed before outcomes existed).
    outcome        text        CHECK (outcome IN ('delivered', 'partly_delivered', 'not_delivered')),
    -- Why a service fell short, as a reason code: only with such an outcome.
    outcome_reason text        CHECK (outcome_reason ~ '^[a-z_]{1,40}$'),
    completed_at   timestamptz NOT NULL,
    CHECK (outcome_reason IS NULL OR outcome IN ('partly_delivered', 'not_delivered'))
);
-- The dashboard's period query: referrals completed in a period.
CREATE INDEX referral_outcomes_completed_at ON referral_outcomes (completed_at);
