-- Reasons are codes (lindung_contracts.ReasonCode). Before, a provider's own words travelled
-- as its reason and were kept here. Intake keeps the words, sealed, as notes; the router
-- keeps only the code, `other` for what was words, in its table and in the events it has
-- queued or sent (a consumer of today refuses a declined, paused or resumed event whose
-- reason is not a code).

-- The reason codes. A new code is a new migration replacing this function.
CREATE FUNCTION is_reason_code(code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT code IN ('at_capacity', 'not_eligible', 'outside_area', 'language',
                    'cannot_reach_child', 'child_in_hospital', 'child_missing',
                    'child_declined', 'safety_concern', 'child_available', 'other')
$$;

UPDATE referrals
   SET status_reason = 'other'
 WHERE status_reason IS NOT NULL AND NOT is_reason_code(status_reason);
ALTER TABLE referrals
    ADD CONSTRAINT referrals_status_reason_is_code
        CHECK (status_reason IS NULL OR is_reason_code(status_reason));

UPDATE outbox
   SET value = convert_to(
           jsonb_set(convert_from(value, 'UTF8')::jsonb, '{data,reason}', '"other"')::text,
           'UTF8')
 WHERE event_type IN ('org.lindung.referral.declined.v1', 'org.lindung.referral.paused.v1',
                      'org.lindung.referral.resumed.v1')
   AND NOT is_reason_code(convert_from(value, 'UTF8')::jsonb #>> '{data,reason}');

-- A re-route or a cancellation said "<provider> declined: <words>" (or "reported failure").
UPDATE outbox
   SET value = convert_to(
           jsonb_set(
               convert_from(value, 'UTF8')::jsonb,
               '{data,reason}',
               to_jsonb(regexp_replace(
                   convert_from(value, 'UTF8')::jsonb #>> '{data,reason}',
                   '(declined|reported failure)((, no provider left)?): .*$', '\1\2: other'))
           )::text,
           'UTF8')
 WHERE event_type IN ('org.lindung.referral.rerouted.v1', 'org.lindung.referral.cancelled.v1')
   AND (convert_from(value, 'UTF8')::jsonb #>> '{data,reason}')
       ~ '(declined|reported failure)(, no provider left)?: '
   AND NOT is_reason_code(substring(
       convert_from(value, 'UTF8')::jsonb #>> '{data,reason}'
       FROM '(?:declined|reported failure)(?:, no provider left)?: (.*)$'));
