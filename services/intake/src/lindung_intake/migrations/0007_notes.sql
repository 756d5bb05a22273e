-- Reasons are codes (lindung_contracts.ReasonCode); the words a person adds are notes.
-- Words can name the child ("no bed for <name>, 15"), so a note's words are sealed by the
-- application (AES-256-GCM under INTAKE_DATA_KEYS, bound to the note's id) before they
-- land here, with the id of the key that sealed them, like `cases.personal`. No plaintext
-- column of intake holds a person's words.

-- The reason codes. A new code is a new migration replacing this function.
CREATE FUNCTION is_reason_code(code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT code IN ('at_capacity', 'not_eligible', 'outside_area', 'language',
                    'cannot_reach_child', 'child_in_hospital', 'child_missing',
                    'child_declined', 'safety_concern', 'child_available', 'other')
$$;

CREATE TABLE notes (
    note_id      uuid        PRIMARY KEY,
    referral_id  uuid        NOT NULL REFERENCES referral_access (referral_id),
    case_id      uuid        NOT NULL,
    -- What it goes with. Through the API: a decline, a failure, a pause or a resume; the
    -- other answers only on notes kept from before reasons became codes.
    about        text        NOT NULL CHECK (about IN
        ('accept', 'decline', 'start', 'complete', 'fail', 'pause', 'resume')),
    -- The answer (`provider_responses.response_id`) or clock change
    -- (`clock_changes.request_id`) it was written with: one note each.
    source_id    uuid        NOT NULL UNIQUE,
    reason       text        NOT NULL CHECK (is_reason_code(reason)),
    writer_kind  text        NOT NULL CHECK (writer_kind IN ('provider', 'coordinator')),
    writer_id    text        NOT NULL,
    written_at   timestamptz NOT NULL,
    words        bytea       NOT NULL,
    words_key_id text        NOT NULL
);
CREATE INDEX notes_referral ON notes (referral_id, written_at);
CREATE INDEX notes_key ON notes (words_key_id);

-- From now on the plaintext reason columns hold only a code. Rows written before may
-- still hold words: NOT VALID leaves them for intake, which alone has the data keys, to
-- seal into notes (setting the code `other`) when it starts, or in `data-keys rotate`.
-- The partial indexes find such rows at once, and are empty once that is done.
ALTER TABLE provider_responses
    ADD CONSTRAINT provider_responses_reason_is_code
        CHECK (reason IS NULL OR is_reason_code(reason)) NOT VALID;
ALTER TABLE clock_changes
    ADD CONSTRAINT clock_changes_reason_is_code CHECK (is_reason_code(reason)) NOT VALID;
CREATE INDEX provider_responses_words ON provider_responses (response_id)
    WHERE reason IS NOT NULL AND NOT is_reason_code(reason);
CREATE INDEX clock_changes_words ON clock_changes (request_id)
    WHERE NOT is_reason_code(reason);

-- The events queued for those rows carried the words too. Each is the copy of a row above
-- (written in the same transaction), so the words are not lost: the row keeps them until
-- they are sealed. The outbox keeps the code `other` in their place, whether the event is
-- still to be sent (the router takes only codes now) or already was.
UPDATE outbox
   SET value = convert_to(
           jsonb_set(convert_from(value, 'UTF8')::jsonb, '{data,reason}', '"other"')::text,
           'UTF8')
 WHERE event_type IN ('org.lindung.provider.responded.v1',
                      'org.lindung.referral.clock-change-requested.v1')
   AND jsonb_typeof(convert_from(value, 'UTF8')::jsonb #> '{data,reason}') = 'string'
   AND NOT is_reason_code(convert_from(value, 'UTF8')::jsonb #>> '{data,reason}');

-- A read of a referral's notes is audited like every other read.
ALTER TABLE read_audit DROP CONSTRAINT read_audit_resource_check;
ALTER TABLE read_audit ADD CONSTRAINT read_audit_resource_check
    CHECK (resource IN ('referral', 'case', 'notes'));
