-- The sessions table has the same columns as intake's desk sessions (one shared set of
-- statements serves both): the role the person signed in with, `operations` here.
-- Sessions begun before this are ended: their people sign in again.
ALTER TABLE dashboard_sessions ADD COLUMN role text CHECK (role = 'operations');
UPDATE dashboard_sessions SET ended_at = greatest(last_seen_at, now())
    WHERE ended_at IS NULL;
ALTER TABLE dashboard_sessions ADD CONSTRAINT dashboard_sessions_role_when_live
    CHECK (role IS NOT NULL OR ended_at IS NOT NULL);
