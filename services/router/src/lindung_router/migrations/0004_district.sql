-- The district or town the child is in, when the agency said: providers based there are
-- asked before the rest of the state, on the first referral and on every re-route.
ALTER TABLE cases ADD COLUMN district text;
