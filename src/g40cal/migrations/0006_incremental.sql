-- Indexes that let a sync do work in proportion to a change instead of to the network:
-- * feed_keys: which feed holds which event (was a JSON list per feed), so the feeds that
--   hold a changed event are found with one indexed query.
-- * events.digest: a hash of the stored event JSON, so an unchanged event is recognised
--   without decoding it.
-- * participant_changes: participants whose registrations or choices changed since the
--   last sync (with the change counter's value then), so only their feeds are rebuilt.
-- * retired_tokens: feed tokens given up since the last sync (a new token, a participant
--   removed), so their feeds are found without comparing every feed with every token.
-- Every existing participant is marked changed once, and every event digest is unknown:
-- the first sync after the upgrade rebuilds their feeds (same bytes, nothing republished).
CREATE TABLE feed_keys (
    feed_id TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;
CREATE INDEX feed_keys_key ON feed_keys(key);
INSERT INTO feed_keys (feed_id, key)
    SELECT feeds.feed_id, j.value FROM feeds, json_each(feeds.keys) AS j;
ALTER TABLE feeds DROP COLUMN keys;
CREATE INDEX feeds_private ON feeds(private);
ALTER TABLE events ADD COLUMN digest TEXT;
CREATE INDEX events_removed ON events(removed);
CREATE TABLE participant_changes (
    participant_id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO participant_changes (participant_id, version) SELECT id, 0 FROM participants;
CREATE TABLE retired_tokens (
    token TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
DROP TRIGGER participants_insert;
DROP TRIGGER participants_update;
DROP TRIGGER participants_delete;
DROP TRIGGER registrations_insert;
DROP TRIGGER registrations_update;
DROP TRIGGER registrations_delete;
DROP TRIGGER choices_insert;
DROP TRIGGER choices_update;
DROP TRIGGER choices_delete;
-- One trigger per change: raise the counter, then note the participant with its new value.
-- (DELETE + INSERT, not INSERT OR REPLACE: the statement that fires a trigger imposes its own
-- conflict policy on it, e.g. an INSERT OR IGNORE would keep the old version.)
CREATE TRIGGER participants_insert AFTER INSERT ON participants BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
    DELETE FROM participant_changes WHERE participant_id = NEW.id;
    INSERT INTO participant_changes SELECT NEW.id, CAST(value AS INTEGER)
        FROM meta WHERE key = 'participants_version';
END;
CREATE TRIGGER participants_update AFTER UPDATE ON participants BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
    DELETE FROM participant_changes WHERE participant_id = NEW.id;
    INSERT INTO participant_changes SELECT NEW.id, CAST(value AS INTEGER)
        FROM meta WHERE key = 'participants_version';
    DELETE FROM retired_tokens WHERE token = OLD.token AND OLD.token <> NEW.token;
    INSERT INTO retired_tokens SELECT OLD.token, CAST(value AS INTEGER)
        FROM meta WHERE key = 'participants_version' AND OLD.token <> NEW.token;
END;
CREATE TRIGGER participants_delete AFTER DELETE ON participants BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
    DELETE FROM participant_changes WHERE participant_id = OLD.id;
    INSERT INTO participant_changes SELECT OLD.id, CAST(value AS INTEGER)
        FROM meta WHERE key = 'participants_version';
    DELETE FROM retired_tokens WHERE token = OLD.token;
    INSERT INTO retired_tokens SELECT OLD.token, CAST(value AS INTEGER)
        FROM meta WHERE key = 'participants_version';
END;
CREATE TRIGGER registrations_insert AFTER INSERT ON registrations BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
    DELETE FROM participant_changes WHERE participant_id = NEW.participant_id;
    INSERT INTO participant_changes SELECT NEW.participant_id,
        CAST(value AS INTEGER) FROM meta WHERE key = 'participants_version';
END;
CREATE TRIGGER registrations_update AFTER UPDATE ON registrations BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
    DELETE FROM participant_changes WHERE participant_id = OLD.participant_id;
    INSERT INTO participant_changes SELECT OLD.participant_id,
        CAST(value AS INTEGER) FROM meta WHERE key = 'participants_version';
    DELETE FROM participant_changes WHERE participant_id = NEW.participant_id;
    INSERT INTO participant_changes SELECT NEW.participant_id,
        CAST(value AS INTEGER) FROM meta WHERE key = 'participants_version';
END;
CREATE TRIGGER registrations_delete AFTER DELETE ON registrations BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
    DELETE FROM participant_changes WHERE participant_id = OLD.participant_id;
    INSERT INTO participant_changes SELECT OLD.participant_id,
        CAST(value AS INTEGER) FROM meta WHERE key = 'participants_version';
END;
CREATE TRIGGER choices_insert AFTER INSERT ON choices BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
    DELETE FROM participant_changes WHERE participant_id = NEW.participant_id;
    INSERT INTO participant_changes SELECT NEW.participant_id,
        CAST(value AS INTEGER) FROM meta WHERE key = 'participants_version';
END;
CREATE TRIGGER choices_update AFTER UPDATE ON choices BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
    DELETE FROM participant_changes WHERE participant_id = OLD.participant_id;
    INSERT INTO participant_changes SELECT OLD.participant_id,
        CAST(value AS INTEGER) FROM meta WHERE key = 'participants_version';
    DELETE FROM participant_changes WHERE participant_id = NEW.participant_id;
    INSERT INTO participant_changes SELECT NEW.participant_id,
        CAST(value AS INTEGER) FROM meta WHERE key = 'participants_version';
END;
CREATE TRIGGER choices_delete AFTER DELETE ON choices BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
    DELETE FROM participant_changes WHERE participant_id = OLD.participant_id;
    INSERT INTO participant_changes SELECT OLD.participant_id,
        CAST(value AS INTEGER) FROM meta WHERE key = 'participants_version';
END;
