-- A case coordinator can pause a referral's clock, and resume it, each with a reason.
-- Intake is the door: it records every request here (who, when, why) and refuses with
-- 409 what the referral's state does not allow (pausing a paused clock, say).
ALTER TABLE referral_access ADD COLUMN paused_at timestamptz;

CREATE TABLE clock_changes (
    request_id     uuid PRIMARY KEY,
    referral_id    uuid        NOT NULL REFERENCES referral_access (referral_id),
    action         text        NOT NULL CHECK (action IN ('pause', 'resume')),
    coordinator_id text        NOT NULL,
    reason         text        NOT NULL,
    at             timestamptz NOT NULL
);
CREATE INDEX clock_changes_referral ON clock_changes (referral_id, at);
