-- A role's alert goes to whoever is on duty for the case's state (a person on the role's
-- rota, by the rota file's id), then their stand-ins, then the role's own endpoint.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_recipient_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_recipient_kind_check
    CHECK (recipient_kind IN ('provider', 'role', 'person'));

-- The state of each case, as the events that carry it said (a referral, a detention
-- alert): the alerts that do not carry it are routed by it. The latest said wins.
CREATE TABLE case_states (
    case_id  uuid        PRIMARY KEY,
    state    text        NOT NULL,
    noted_at timestamptz NOT NULL
);

-- Who was chosen to hold each delivery of a role's alert, and why: the audit of the
-- rotas. `position` is the holder's place in the order the rota gave at `decided_for`
-- (0: first); a hand-over to the next holder adds rows with the next position. Ids only:
-- the names are in the rota file.
CREATE TABLE on_call_choices (
    notification_id uuid        PRIMARY KEY REFERENCES deliveries (notification_id),
    cause_event_id  uuid        NOT NULL,
    case_id         uuid        NOT NULL,
    role            text        NOT NULL
                                CHECK (role IN ('case_coordinator', 'supervisor', 'secretariat')),
    state           text,
    person_id       text,
    position        integer     NOT NULL CHECK (position >= 0),
    why             text        NOT NULL CHECK (why IN ('on_duty', 'stand_in', 'last_resort',
                                    'no_one_on_duty', 'no_rota', 'state_unknown')),
    -- The instant the rota was read at: the alert's arrival, kept through hand-overs.
    decided_for     timestamptz NOT NULL,
    chosen_at       timestamptz NOT NULL,
    -- A person is chosen as on duty or standing in; the role's endpoint for any other reason.
    CHECK ((person_id IS NULL) = (why NOT IN ('on_duty', 'stand_in'))),
    CHECK (state IS NOT NULL OR why = 'state_unknown')
);
CREATE INDEX on_call_choices_event ON on_call_choices (cause_event_id);
CREATE INDEX on_call_choices_case ON on_call_choices (case_id);
