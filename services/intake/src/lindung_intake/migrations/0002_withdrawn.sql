-- A referral taken back from its provider (re-routed after silence or a decline, or
-- ended): an answer from that provider is refused with 409, so two never both act.
ALTER TABLE referral_access ADD COLUMN withdrawn_at timestamptz;
