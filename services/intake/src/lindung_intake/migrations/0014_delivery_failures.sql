-- A notice the notifier gave up delivering (`NotificationFailed`) is an alert to the case
-- coordinator: what could not be delivered, to which provider id or role, over which
-- channel, how many attempts (never an address). It may concern one referral; it has
-- no escalation level.
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check CHECK (kind IN
    ('deadline_missed', 'package_missed', 'no_provider', 'detention', 'delivery_failed'));
