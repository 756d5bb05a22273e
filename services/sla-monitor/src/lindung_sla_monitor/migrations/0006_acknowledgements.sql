-- The policy's acknowledgement window of each referral, in seconds, as its request carried
-- it; null from a router that predates it (the documented default, 30 minutes, applies).
ALTER TABLE deadlines ADD COLUMN ack_window_seconds integer CHECK (ack_window_seconds >= 1);

-- Every acknowledgement of an alert heard from intake, and what it did: a hold of the
-- levels above the acknowledged one (stored moved in deadline_steps, so a restart keeps
-- it), or why nothing changed.
CREATE TABLE acknowledgements (
    acknowledgement_id uuid        PRIMARY KEY,
    alert_id           uuid        NOT NULL,
    kind               text        NOT NULL,
    case_id            uuid        NOT NULL,
    referral_id        uuid,
    level              smallint,
    coordinator_id     text        NOT NULL,
    acknowledged_at    timestamptz NOT NULL,
    outcome            text        NOT NULL CHECK (outcome IN ('held', 'case_alert',
                       'unknown_referral', 'closed', 'repeat', 'not_raised', 'nothing_above')),
    note               text        NOT NULL,
    held_until         timestamptz,
    moved_by           interval    NOT NULL DEFAULT '0',
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome = 'held') = (held_until IS NOT NULL)),
    CHECK (outcome <> 'held' OR (referral_id IS NOT NULL AND level IS NOT NULL)),
    CHECK (moved_by >= interval '0')
);
-- A level of a referral is held once: the first acknowledgement's window is the one kept.
CREATE UNIQUE INDEX acknowledgements_one_hold ON acknowledgements (referral_id, level)
    WHERE outcome = 'held';
