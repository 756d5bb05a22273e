-- Cases opened by intake. The identification holds no names or identity numbers yet;
-- when it does, those fields are encrypted by the application before they land here.
CREATE TABLE cases (
    case_id          uuid PRIMARY KEY,
    agency_id        text        NOT NULL,
    agency_reference text        NOT NULL,
    channel          text        NOT NULL CHECK (channel IN ('http', 'kafka')),
    identified_at    timestamptz NOT NULL,
    received_at      timestamptz NOT NULL,
    body_sha256      text        NOT NULL,
    identification   jsonb       NOT NULL,
    UNIQUE (agency_id, agency_reference)
);

-- Which provider each referral is addressed to: lets intake refuse a provider's answer to
-- somebody else's referral. Filled from the router's ReferralRequested events.
CREATE TABLE referral_access (
    referral_id  uuid PRIMARY KEY,
    case_id      uuid        NOT NULL,
    provider_id  text        NOT NULL,
    service      text        NOT NULL,
    requested_at timestamptz NOT NULL
);

-- Providers' answers; one per referral and kind, so a retried request is a no-op.
CREATE TABLE provider_responses (
    response_id  uuid PRIMARY KEY,
    referral_id  uuid        NOT NULL REFERENCES referral_access (referral_id),
    provider_id  text        NOT NULL,
    response     text        NOT NULL,
    reason       text,
    responded_at timestamptz NOT NULL,
    UNIQUE (referral_id, response)
);
