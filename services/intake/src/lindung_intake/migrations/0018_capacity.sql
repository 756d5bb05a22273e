-- Live capacity: each figure a provider set for a service (over the API, or at the desk),
-- published to the router as `CapacityReported`. Kept whole, so the desk shows the latest
-- per service and who set it (a key's id or a staff member's user id, never a name).
CREATE TABLE capacity_reports (
    report_id   uuid        PRIMARY KEY,
    provider_id text        NOT NULL,
    service     text        NOT NULL,
    unit        text        NOT NULL CHECK (unit IN ('beds', 'places', 'appointments', 'sessions')),
    available   integer     NOT NULL CHECK (available >= 0),
    maximum     integer     CHECK (maximum >= 0 AND available <= maximum),
    at          timestamptz NOT NULL,
    reported_by text        NOT NULL
);
CREATE INDEX capacity_reports_latest ON capacity_reports (provider_id, service, at DESC);
