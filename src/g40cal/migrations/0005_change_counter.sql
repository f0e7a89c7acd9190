-- A counter that every change to participants, registrations or choices raises, so that
-- sync can tell in one query whether personal feeds may have changed since the last run.
INSERT OR IGNORE INTO meta (key, value) VALUES ('participants_version', '0');
CREATE TRIGGER participants_insert AFTER INSERT ON participants BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
END;
CREATE TRIGGER participants_update AFTER UPDATE ON participants BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
END;
CREATE TRIGGER participants_delete AFTER DELETE ON participants BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
END;
CREATE TRIGGER registrations_insert AFTER INSERT ON registrations BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
END;
CREATE TRIGGER registrations_update AFTER UPDATE ON registrations BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
END;
CREATE TRIGGER registrations_delete AFTER DELETE ON registrations BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
END;
CREATE TRIGGER choices_insert AFTER INSERT ON choices BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
END;
CREATE TRIGGER choices_update AFTER UPDATE ON choices BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
END;
CREATE TRIGGER choices_delete AFTER DELETE ON choices BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'participants_version';
END;
