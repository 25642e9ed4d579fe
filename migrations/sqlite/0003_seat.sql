-- Officer identity: the first device that joins as a participant binds the seat. Another device for the same
-- badge waits for the organizer, who approves (the seat moves) or refuses the change.
ALTER TABLE participants ADD COLUMN device TEXT;            -- secret of the device holding the seat
ALTER TABLE participants ADD COLUMN pending_device TEXT;    -- secret of the device asking to take it over
ALTER TABLE participants ADD COLUMN pending_since INTEGER;  -- when that request was made (ms)
ALTER TABLE participants ADD COLUMN refused_device TEXT;    -- the last device the organizer refused
