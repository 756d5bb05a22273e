-- Why the router chose each referral's provider, as a code (`ReferralRequested.matched_tier`,
-- a `lindung_contracts.MatchedTier`: district, state, neighbouring, national, coordinator),
-- so the desk says it in the reader's language; `matched_by` keeps the router's English
-- text, shown for referrals heard before the code existed.
ALTER TABLE referral_access ADD COLUMN matched_tier text;
