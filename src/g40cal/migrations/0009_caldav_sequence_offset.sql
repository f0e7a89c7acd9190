-- SEQUENCE never goes down on a CalDAV server. When push --force replaces a copy someone
-- else edited with a higher SEQUENCE, g40cal sends that SEQUENCE + 1, not the feed's. The
-- difference is kept per object and added to every later version, so the next change
-- is still one higher than the last and an unchanged event still sends nothing.
ALTER TABLE caldav_objects ADD COLUMN sequence_offset INTEGER NOT NULL DEFAULT 0
