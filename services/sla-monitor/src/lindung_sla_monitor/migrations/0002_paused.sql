-- A referral's clock paused by a case coordinator: no step fires while paused_at is set;
-- on resume the deadline and every unfired step move later by the pause.
ALTER TABLE deadlines ADD COLUMN paused_at timestamptz;

-- Each pause, for the referral's history and for reporting time lost to pauses.
CREATE TABLE deadline_pauses (
    referral_id uuid        NOT NULL REFERENCES deadlines (referral_id),
    paused_at   timestamptz NOT NULL,
    resumed_at  timestamptz,
    PRIMARY KEY (referral_id, paused_at),
    CHECK (resumed_at IS NULL OR resumed_at >= paused_at)
);
