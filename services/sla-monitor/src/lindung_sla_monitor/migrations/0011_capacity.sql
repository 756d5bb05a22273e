-- Live capacity, as the router counts it (lindung_contracts.CapacityChanged): the latest
-- figure of each provider for each service, with the states it serves (`*`: the whole
-- country) and until when the router counts it, so the dashboard shows free places by
-- state and service without a directory. Nothing about a child.
CREATE TABLE capacity (
    provider_id text        NOT NULL,
    service     text        NOT NULL,
    unit        text        NOT NULL,
    available   integer     NOT NULL CHECK (available >= 0),
    maximum     integer     CHECK (maximum >= 0),
    at          timestamptz NOT NULL,
    fresh_until timestamptz NOT NULL,
    cause       text        NOT NULL,
    states      text[]      NOT NULL,
    PRIMARY KEY (provider_id, service)
);
