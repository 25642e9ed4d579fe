-- Big-screen links can be revoked: every display token carries the contest's display-link version at signing time
-- and is accepted only while it equals the stored one. Revoking the links increments it.
ALTER TABLE contests ADD COLUMN display_version INTEGER NOT NULL DEFAULT 0;
