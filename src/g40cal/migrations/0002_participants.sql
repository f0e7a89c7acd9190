-- Participants, their registrations and their choices: personal data.
-- This database is the only place it is stored (never programmes/ or feeds/), and
-- `g40cal participants purge --programme ID` deletes it after the event.
CREATE TABLE participants (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        email TEXT NOT NULL,
        organisation TEXT,
        token TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE INDEX participants_email ON participants(email);
    CREATE UNIQUE INDEX participants_identity ON participants(email, name_key);
    CREATE TABLE registrations (
        participant_id INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
        programme TEXT NOT NULL,
        registered_at TEXT,
        position INTEGER NOT NULL,
        days TEXT,
        source TEXT NOT NULL CHECK (source IN ('import', 'hand')),
        PRIMARY KEY (participant_id, programme)
    );
    CREATE INDEX registrations_programme ON registrations(programme);
    CREATE TABLE choices (
        participant_id INTEGER NOT NULL,
        programme TEXT NOT NULL,
        item TEXT NOT NULL,
        label TEXT,
        PRIMARY KEY (participant_id, programme, item),
        FOREIGN KEY (participant_id, programme)
            REFERENCES registrations(participant_id, programme) ON DELETE CASCADE
    );
