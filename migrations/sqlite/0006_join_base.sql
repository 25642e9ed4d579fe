-- The address phones use to reach the server, chosen by the organizer in the console: the big screen's join link
-- and QR code and the printed join slips use it. NULL: not chosen (the public URL, else the first address the
-- server listens on). Stored as `scheme://host[:port]`, validated by the server.
ALTER TABLE contests ADD COLUMN join_base_url TEXT;
