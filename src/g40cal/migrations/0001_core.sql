-- Events, feeds, written files and the sync log.
CREATE TABLE events (
        key TEXT PRIMARY KEY,
        programme TEXT NOT NULL,
        item TEXT NOT NULL,
        sig TEXT NOT NULL,
        full TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        modified TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'cancelled')),
        removed INTEGER NOT NULL DEFAULT 0,
        ends_at TEXT NOT NULL,
        event TEXT NOT NULL
    );
    CREATE TABLE feeds (
        feed_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        path TEXT NOT NULL,
        private INTEGER NOT NULL,
        uid_scope TEXT NOT NULL,
        programme TEXT,
        hash TEXT NOT NULL,
        keys TEXT NOT NULL
    );
    CREATE TABLE feed_members (
        feed_id TEXT NOT NULL,
        key TEXT NOT NULL,
        bump INTEGER NOT NULL,
        left INTEGER NOT NULL,
        modified TEXT NOT NULL,
        PRIMARY KEY (feed_id, key)
    );
    CREATE TABLE files (
        path TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        summary TEXT NOT NULL,
        feeds TEXT NOT NULL
    );
    CREATE TABLE changes (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        programme TEXT NOT NULL,
        item TEXT NOT NULL,
        feed TEXT,
        change TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX changes_run ON changes(run_id);
