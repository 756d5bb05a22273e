-- A recipient may be reached on more than one channel: a webhook and an SMS, say. Each
-- channel is its own delivery, retried and reported on its own.
ALTER TABLE deliveries
    ADD COLUMN channel text NOT NULL DEFAULT 'webhook' CHECK (channel IN ('webhook', 'sms'));
ALTER TABLE deliveries DROP CONSTRAINT deliveries_cause_event_id_recipient_kind_recipient_key;
ALTER TABLE deliveries
    ADD CONSTRAINT deliveries_once_per_channel
    UNIQUE (cause_event_id, recipient_kind, recipient, channel);
