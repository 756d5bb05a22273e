-- A referral the notifier could not deliver to its provider (refused, gone, retries
-- exhausted): that provider never had it, so it cannot be silent. Set when the router
-- learns of it while the referral's clock is paused; the referral is withdrawn and
-- re-routed as soon as its clock runs again and an escalation comes, whatever the
-- policy says of silence.
ALTER TABLE referrals ADD COLUMN undelivered_at timestamptz;
