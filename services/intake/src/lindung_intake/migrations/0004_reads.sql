-- Every read of a referral or a case through the API: who, when, what, which fields, and
-- whether it was shown (a refused read is recorded too). Operations query it with
-- `python -m lindung_intake audit`.
CREATE TABLE read_audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    reader_kind text        NOT NULL,
    reader_id   text        NOT NULL,
    resource    text        NOT NULL CHECK (resource IN ('referral', 'case')),
    resource_id uuid        NOT NULL,
    fields      text[]      NOT NULL,
    shown       boolean     NOT NULL
);
CREATE INDEX read_audit_resource ON read_audit (resource_id, at);
CREATE INDEX read_audit_reader ON read_audit (reader_id, at);
