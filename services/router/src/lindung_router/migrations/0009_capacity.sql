-- Live capacity: each provider's latest figure of free places per service, as the router
-- counts it (lindung_contracts.CapacityChanged). A provider's report sets it, a decline
-- "at capacity" sets it to 0, an acceptance takes one place from a fresh figure. Routing
-- skips a provider whose fresh figure is 0 and prefers one with places free; a figure
-- older than the policy's `capacity.stale_after` counts as unknown. Nothing about a child.
CREATE TABLE capacity (
    provider_id text        NOT NULL,
    service     text        NOT NULL,
    unit        text        NOT NULL CHECK (unit IN ('beds', 'places', 'appointments', 'sessions')),
    available   integer     NOT NULL CHECK (available >= 0),
    maximum     integer     CHECK (maximum >= 0),
    -- Since when the figure holds: a report, or a decline, older than this changes nothing.
    as_of       timestamptz NOT NULL,
    cause       text        NOT NULL
                CHECK (cause IN ('reported', 'declined_at_capacity', 'accepted_referral')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_id, service)
);
