-- The router's state: each case it routed (only what re-routing needs; no personal data
-- exists in these events) and every referral, one row per provider asked.

CREATE TABLE cases (
    case_id            uuid PRIMARY KEY,
    agency_id          text        NOT NULL,
    state              text        NOT NULL,
    -- The ChildSummary sent to providers: age, age disputed, gender, languages.
    child              jsonb       NOT NULL,
    identified_at      timestamptz NOT NULL,
    sexual_violence_at timestamptz,
    opened_at          timestamptz NOT NULL,
    event_id           uuid        NOT NULL,
    policy_version     text        NOT NULL,
    directory_version  text        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE referrals (
    referral_id    uuid PRIMARY KEY,
    case_id        uuid        NOT NULL REFERENCES cases (case_id),
    agency_id      text        NOT NULL,
    service        text        NOT NULL,
    provider_id    text        NOT NULL,
    attempt        integer     NOT NULL CHECK (attempt >= 1),
    status         text        NOT NULL CHECK (status IN
                       ('requested', 'accepted', 'in_progress', 'completed', 'declined', 'failed')),
    urgent         boolean     NOT NULL,
    reasons        text[]      NOT NULL,
    requested_at   timestamptz NOT NULL,
    due_at         timestamptz NOT NULL,
    escalation     jsonb       NOT NULL,
    policy_version text        NOT NULL,
    -- The provider's reason for the latest decline or failure.
    status_reason  text,
    status_at      timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- One attempt number per service of a case, and each provider asked at most once.
    UNIQUE (case_id, service, attempt),
    UNIQUE (case_id, service, provider_id)
);
CREATE INDEX referrals_open ON referrals (status, due_at) WHERE status = 'requested';

-- Services of a case no provider could take: escalated at once (NoProviderAvailable).
CREATE TABLE unmet_services (
    case_id  uuid        NOT NULL REFERENCES cases (case_id),
    service  text        NOT NULL,
    reasons  text[]      NOT NULL,
    tried    text[]      NOT NULL,
    at       timestamptz NOT NULL,
    PRIMARY KEY (case_id, service)
);
