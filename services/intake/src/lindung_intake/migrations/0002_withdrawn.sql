-- Where each referral stands, as its provider's answers through intake move it (the
-- lifecycle in lindung_contracts.lifecycle): an answer the state does not allow gets 409.
-- And a referral taken back from its provider (re-routed after silence or a decline, or
-- ended): that provider's answers get 409 too, so two never both act.
ALTER TABLE referral_access
    ADD COLUMN status text NOT NULL DEFAULT 'requested' CHECK (status IN
        ('requested', 'accepted', 'in_progress', 'completed', 'declined', 'failed', 'withdrawn')),
    ADD COLUMN withdrawn_at timestamptz;
