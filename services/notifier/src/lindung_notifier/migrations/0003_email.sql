-- Email joins the channels.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries
    ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('webhook', 'sms', 'email'));

-- What happened to each case's referrals, as the notifier heard it on the referrals topic:
-- who was asked, who declined, who was withdrawn, who accepted. An escalation email says
-- what was tried from here (and from the failed deliveries above). Ids only: providers'
-- free-text reasons are not kept.
CREATE TABLE case_history (
    event_id    uuid PRIMARY KEY,
    case_id     uuid        NOT NULL,
    referral_id uuid        NOT NULL,
    service     text        NOT NULL,
    provider_id text        NOT NULL,
    what        text        NOT NULL CHECK (what IN ('asked', 'declined', 'withdrawn', 'accepted')),
    at          timestamptz NOT NULL
);
CREATE INDEX case_history_case ON case_history (case_id, at);
