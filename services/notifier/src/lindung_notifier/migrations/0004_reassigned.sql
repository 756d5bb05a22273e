-- A referral a case coordinator sent to another provider is "reassigned" in what was
-- tried, not "withdrawn" (which says its provider was silent or could not be reached).
ALTER TABLE case_history DROP CONSTRAINT case_history_what_check;
ALTER TABLE case_history ADD CONSTRAINT case_history_what_check
    CHECK (what IN ('asked', 'declined', 'withdrawn', 'reassigned', 'accepted'));
