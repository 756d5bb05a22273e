-- Retention: what the prune deletes is found through an index, never by reading a table.

-- Published rows by when they were published. Partial: rows waiting or set aside are
-- never pruned, and inserting a row costs no entry here.
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Each consumer's handled events by when: pruned consumer by consumer, since a consumer
-- with a dead letter waiting keeps its records longer (see the README, "Retention").
CREATE INDEX processed_events_consumer_at ON processed_events (consumer, processed_at);

-- Replayed dead letters by when; the ones waiting for a replay are never pruned.
CREATE INDEX dead_letters_replayed_at ON dead_letters (replayed_at) WHERE replayed_at IS NOT NULL;
