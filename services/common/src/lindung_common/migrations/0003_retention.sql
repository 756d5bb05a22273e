-- Retention: what the prune deletes is found without reading a whole table, at as little
-- cost as can be to the hot path (every relayed event, every handled record).
--
-- Outbox rows and handled events by when: BRIN indexes, a few pages for millions of
-- rows, since rows arrive in time order and these columns never change; a btree would
-- cost an entry for every event relayed and every record handled, which measurably
-- slowed the consume path. A published row was created before it was published, so
-- rows created before the cut-off are the only ones the prune has to look at.
CREATE INDEX outbox_created_at ON outbox USING brin (created_at);
CREATE INDEX processed_events_at ON processed_events USING brin (processed_at);

-- Replayed dead letters by when; the ones waiting for a replay are never pruned.
CREATE INDEX dead_letters_replayed_at ON dead_letters (replayed_at) WHERE replayed_at IS NOT NULL;
