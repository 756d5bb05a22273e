-- A referral whose provider did not answer before its deadline is withdrawn from that
-- provider and re-routed to the next one (when the policy says so for its service).
ALTER TABLE referrals DROP CONSTRAINT referrals_status_check;
ALTER TABLE referrals ADD CONSTRAINT referrals_status_check CHECK (status IN
    ('requested', 'accepted', 'in_progress', 'completed', 'declined', 'failed', 'withdrawn'));
