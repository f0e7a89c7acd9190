-- E-mail to participants (g40cal mail send): an outbox of planned messages.
-- A row is planned (status due, payload: what a notice says, as JSON, so that changes
-- made before the next run join one message), then written and sent, and marked sent the
-- moment the server accepted it. Its Message-ID follows from the row (a resend has the
-- same one). A sent row keeps no content: kind, times and the Message-ID only. The
-- address is never stored here: it is read from participants when the message goes out.
-- A welcome is skipped (not sent) for a participant with no network day still to come,
-- and superseded (it was sent) when the participant registered for another day.
-- meta mail_cursor: the last sync run whose changes were planned into the outbox.
-- (No semicolons inside comments: the migration runner splits statements on them.)
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    participant_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('welcome', 'changes')),
    status TEXT NOT NULL CHECK (status IN ('due', 'sent', 'refused', 'skipped',
                                           'superseded')),
    planned_at TEXT NOT NULL,
    token TEXT NOT NULL,
    payload TEXT,
    message_id TEXT UNIQUE,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TEXT
);
CREATE INDEX mail_outbox_participant ON mail_outbox(participant_id, kind, status);
CREATE INDEX mail_outbox_status ON mail_outbox(status);
-- A participant removed in any way (remove, purge, a merge) takes their messages along:
-- participant ids can be given out again, and a new person must not inherit a welcome.
CREATE TRIGGER mail_outbox_participant_gone AFTER DELETE ON participants BEGIN
    DELETE FROM mail_outbox WHERE participant_id = OLD.id;
END;
-- A registration for another network day: a new welcome shows every day to come (a sent
-- one is kept as superseded, a skipped or unsent one goes, and so do notices still due:
-- the new welcome shows the programme as it is).
CREATE TRIGGER mail_outbox_registered AFTER INSERT ON registrations BEGIN
    DELETE FROM mail_outbox WHERE participant_id = NEW.participant_id AND status IN
        ('due', 'skipped');
    UPDATE mail_outbox SET status = 'superseded' WHERE participant_id = NEW.participant_id
        AND kind = 'welcome' AND status = 'sent';
END;
