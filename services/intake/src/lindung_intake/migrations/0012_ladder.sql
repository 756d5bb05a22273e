-- Each referral's escalation ladder as the router planned it (kind, level, at, notify per
-- step), from its ReferralRequested: the coordinator's desk shows the steps fired and to
-- come. NULL only for referrals stored before this column existed.
ALTER TABLE referral_access ADD COLUMN escalation jsonb;
