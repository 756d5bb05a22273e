-- What cannot go on is set aside with its reason, never dropped and never in the way.

-- An outbox row the broker can never take (too large, unknown topic) is set aside, so
-- the rows behind it are still sent; it stays here, with its reason, for a person.
ALTER TABLE outbox
    ADD COLUMN set_aside_at timestamptz,
    ADD COLUMN set_aside_reason text,
    ADD CONSTRAINT outbox_set_aside_has_reason
        CHECK ((set_aside_at IS NULL) = (set_aside_reason IS NULL)),
    ADD CONSTRAINT outbox_published_or_set_aside
        CHECK (published_at IS NULL OR set_aside_at IS NULL);
DROP INDEX outbox_unpublished;
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL AND set_aside_at IS NULL;

-- Every record a consumer could not process, whole, so it can be replayed after a fix.
-- One row per record and consumer: a record that fails again after a replay updates it.
CREATE TABLE dead_letters (
    consumer        text        NOT NULL,
    topic           text        NOT NULL,
    partition       integer     NOT NULL CHECK (partition >= 0),
    "offset"        bigint      NOT NULL CHECK ("offset" >= 0),
    event_id        uuid        NOT NULL UNIQUE,
    key             bytea,
    value           bytea,
    headers         jsonb       NOT NULL DEFAULT '[]',
    value_size      integer     NOT NULL CHECK (value_size >= 0),
    value_sha256    text        NOT NULL CHECK (value_sha256 ~ '^[0-9a-f]{64}$'),
    failure_class   text        NOT NULL CHECK (failure_class IN ('deterministic', 'unknown')),
    reason          text        NOT NULL,
    agency_id       text,
    times           integer     NOT NULL DEFAULT 1 CHECK (times >= 1),
    first_at        timestamptz NOT NULL,
    last_at         timestamptz NOT NULL,
    replayed_at     timestamptz,
    replay_outcome  text CHECK (replay_outcome IN ('processed', 'skipped')),
    PRIMARY KEY (consumer, topic, partition, "offset"),
    CHECK ((replayed_at IS NULL) = (replay_outcome IS NULL))
);
CREATE INDEX dead_letters_waiting ON dead_letters (consumer, topic) WHERE replayed_at IS NULL;
