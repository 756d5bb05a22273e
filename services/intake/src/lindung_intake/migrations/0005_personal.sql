-- Personal details (name, date of birth, documents, whereabouts, the officer's contact,
-- the narrative) are sealed by the application (AES-256-GCM) before they land here, with
-- the id of the key that sealed them; `identification` holds everything else.
ALTER TABLE cases
    ADD COLUMN personal        bytea,
    ADD COLUMN personal_key_id text,
    -- A second agency's identification of a child already known by a document number:
    -- stored as its own row, joined to the first case; it opens no referrals.
    ADD COLUMN linked_to       uuid REFERENCES cases (case_id),
    ADD CONSTRAINT personal_with_its_key CHECK ((personal IS NULL) = (personal_key_id IS NULL));
CREATE INDEX cases_linked_to ON cases (linked_to) WHERE linked_to IS NOT NULL;
CREATE INDEX cases_personal_key ON cases (personal_key_id) WHERE personal_key_id IS NOT NULL;

-- Keyed hashes (HMAC-SHA256 under a server secret) of normalised document numbers, each
-- with the case it first appeared in. The numbers themselves are only in `personal`.
CREATE TABLE case_documents (
    document_hmac bytea PRIMARY KEY,
    case_id       uuid NOT NULL REFERENCES cases (case_id)
);

-- Keyed hashes of name plus date of birth: alike is not the same child, so a match is
-- only flagged for a coordinator (`possible_duplicates`), never merged.
CREATE TABLE case_likenesses (
    likeness_hmac bytea NOT NULL,
    case_id       uuid  NOT NULL REFERENCES cases (case_id),
    PRIMARY KEY (likeness_hmac, case_id)
);
CREATE TABLE possible_duplicates (
    case_id       uuid        NOT NULL REFERENCES cases (case_id),
    other_case_id uuid        NOT NULL REFERENCES cases (case_id),
    flagged_at    timestamptz NOT NULL,
    PRIMARY KEY (case_id, other_case_id)
);
