-- Officer identity: an optional per-person secret from the roster (a PIN, or the last digits of a phone or ID
-- card number), asked on join. Stored as imported because the organizer prints it on join slips; it is sent to
-- the organizer only, never to participants or the big screen.
ALTER TABLE participants ADD COLUMN secret TEXT;
-- Which secret the contest's roster carries ('pin', 'phone_last4', 'id_last4'); NULL: none. The phone asks
-- for it with the matching label.
ALTER TABLE contests ADD COLUMN secret_kind TEXT;
