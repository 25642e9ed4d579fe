-- Organizer token revocation: every organizer token carries the account's token version at signing time and is
-- accepted only while it equals the stored one. Logging out or changing the password increments it.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
