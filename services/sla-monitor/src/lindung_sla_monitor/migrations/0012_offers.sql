-- A referral the router offered to several providers at once (`ReferralRequested.offer_id`)
-- keeps its whole ladder, but the offer's steps addressed to a coordinator, supervisor or
-- secretariat fire once per offer: the first referral of the offer to fire one claims it
-- here, and the others' copies are skipped. Steps addressed to the provider fire for each.
CREATE TABLE offer_members (
    referral_id uuid PRIMARY KEY,
    offer_id    uuid NOT NULL
);

CREATE TABLE offer_steps (
    offer_id    uuid     NOT NULL,
    step_no     smallint NOT NULL,
    -- The referral whose step fired for the offer, and the event it raised.
    referral_id uuid     NOT NULL,
    event_id    uuid     NOT NULL UNIQUE,
    PRIMARY KEY (offer_id, step_no)
);
