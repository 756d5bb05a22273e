-- One row per (event, recipient): what must be delivered, and where it stands.
-- The handler inserts it (pending); the dispatcher claims, sends and records it.
CREATE TABLE deliveries (
    notification_id uuid        PRIMARY KEY,
    cause_event_id  uuid        NOT NULL,
    cause_type      text        NOT NULL,
    recipient_kind  text        NOT NULL CHECK (recipient_kind IN ('provider', 'role')),
    recipient       text        NOT NULL,
    case_id         uuid        NOT NULL,
    referral_id     uuid,
    -- The CloudEvent exactly as it is sent (json keeps the text; jsonb would reorder it).
    event           json        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'delivered', 'failed')),
    -- Attempts started; raised when a delivery is claimed, so it also fences late writers.
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    -- Set while one dispatcher holds the delivery; a crashed holder's lease just runs out.
    leased_until    timestamptz,
    last_error      text,
    last_status     integer,
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    UNIQUE (cause_event_id, recipient_kind, recipient)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_case ON deliveries (case_id);

-- Every attempt, as it ended.
CREATE TABLE delivery_attempts (
    notification_id uuid        NOT NULL REFERENCES deliveries (notification_id),
    attempt         integer     NOT NULL,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    status_code     integer,
    error           text,
    PRIMARY KEY (notification_id, attempt)
);
