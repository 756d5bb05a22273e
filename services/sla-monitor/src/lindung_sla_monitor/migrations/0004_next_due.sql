-- The scheduler asks, after each pass, when the next warning and the next escalation
-- are due. Over the single (at) index, finding the first escalation walks past every
-- pending warning before it (millions at national scale); per kind, it is one probe.
CREATE INDEX deadline_steps_pending_kind_at ON deadline_steps (kind, at) WHERE state = 'pending';
