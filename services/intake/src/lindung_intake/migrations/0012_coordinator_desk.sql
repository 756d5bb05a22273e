-- Each referral's escalation ladder as the router planned it (kind, level, at, notify per
-- step), from its ReferralRequested: the coordinator's desk shows the steps fired and to
-- come. NULL only for referrals stored before this column existed.
ALTER TABLE referral_access ADD COLUMN escalation jsonb;

-- A coordinator's sealed note on a case, going with no act (`about` 'case'): like a
-- closing's note it has no referral; its reason code is always 'other'.
ALTER TABLE notes DROP CONSTRAINT notes_about_check;
ALTER TABLE notes ADD CONSTRAINT notes_about_check CHECK (about IN
    ('accept', 'decline', 'start', 'complete', 'fail', 'pause', 'resume', 'reassign', 'close',
     'case'));
ALTER TABLE notes DROP CONSTRAINT notes_referral_unless_closing;
ALTER TABLE notes ADD CONSTRAINT notes_referral_unless_of_the_case
    CHECK ((referral_id IS NULL) = (about IN ('close', 'case')));
ALTER TABLE notes ADD CONSTRAINT notes_case_note_is_other
    CHECK (about <> 'case' OR (reason = 'other' AND writer_kind = 'coordinator'));
