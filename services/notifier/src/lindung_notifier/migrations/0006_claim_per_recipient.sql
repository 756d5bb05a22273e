-- The claim of due deliveries walks the recipients with anything pending and takes, for
-- each, its oldest due deliveries up to its free slots: both indexes let it read only
-- what it takes (and the few in flight), where it read and sorted every pending row.
CREATE INDEX deliveries_queue
    ON deliveries (recipient_kind, recipient, channel, next_attempt_at)
    WHERE status = 'pending';
-- What is in flight (leased) per recipient: a handful of rows whatever the backlog.
CREATE INDEX deliveries_in_flight
    ON deliveries (recipient_kind, recipient, channel)
    WHERE status = 'pending' AND leased_until IS NOT NULL;
