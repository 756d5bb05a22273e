-- A desk session keeps the role its person signed in with (`lindung_role`): coordinators
-- and supervisors are both coordinators to the use cases, but each is shown the alerts
-- addressed to their own role. Sessions begun before this are ended (their role is not
-- known): their people sign in again.
ALTER TABLE desk_sessions ADD COLUMN role text CHECK (role IN
    ('provider_staff', 'coordinator', 'supervisor', 'operations'));
UPDATE desk_sessions SET ended_at = greatest(last_seen_at, now())
    WHERE ended_at IS NULL;
ALTER TABLE desk_sessions ADD CONSTRAINT desk_sessions_role_when_live
    CHECK (role IS NOT NULL OR ended_at IS NOT NULL);
