-- Who on call received each alert: the person (by the rota file's id, never a name) the
-- notifier delivered it to for the alert's role in its case's state, as
-- `NotificationDelivered` said with its `role`. Kept apart from `alerts` because the
-- delivery may be heard before the alert itself (another topic); the latest delivery wins
-- (a stand-in after a duty coordinator who could not be reached).
CREATE TABLE alert_holders (
    alert_id     uuid        PRIMARY KEY,  -- the alert event's id (`cause_event_id`)
    person_id    text        NOT NULL,
    role         text        NOT NULL,
    delivered_at timestamptz NOT NULL
);
