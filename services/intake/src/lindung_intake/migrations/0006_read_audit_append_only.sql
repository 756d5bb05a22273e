-- The read audit is only ever added to: who read what stays as it was written. Intake may
-- insert and select its rows; an UPDATE, DELETE or TRUNCATE is refused for every role,
-- with SQLSTATE 42501 (insufficient_privilege). Intake does not log in as the table's
-- owner (the schema's owner role applies migrations; see the README), so it cannot drop
-- or disable these triggers either.
CREATE FUNCTION read_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'read_audit is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER read_audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON read_audit
    FOR EACH STATEMENT EXECUTE FUNCTION read_audit_append_only();
