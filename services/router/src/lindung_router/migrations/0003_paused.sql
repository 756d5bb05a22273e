-- A case coordinator can pause a referral's clock (with a reason, recorded by intake) and
-- resume it; while paused no step fires, and on resume the deadline moves by the pause.
ALTER TABLE referrals ADD COLUMN paused_at timestamptz;

-- Every pause and resume applied, in order: the referral's history keeps them.
CREATE TABLE clock_changes (
    referral_id    uuid        NOT NULL REFERENCES referrals (referral_id),
    action         text        NOT NULL CHECK (action IN ('pause', 'resume')),
    coordinator_id text        NOT NULL,
    at             timestamptz NOT NULL,
    request_id     uuid        NOT NULL UNIQUE
);
CREATE INDEX clock_changes_referral ON clock_changes (referral_id, at);
