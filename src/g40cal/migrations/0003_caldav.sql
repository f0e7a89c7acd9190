-- CalDAV push (g40cal push): per target, what g40cal put on the server.
-- caldav_targets remembers where a target pointed, so a changed URL is noticed.
-- caldav_objects holds one row per calendar object g40cal created: only these hrefs are
-- ever changed or deleted. hash/fp/etag describe the last version the server confirmed
-- (hash of the bytes sent, fingerprint of its VEVENT lines, the server ETag). The
-- pending_* columns are written before a request is sent and cleared when its answer is
-- recorded: a row still pending after a crash is checked against the server next time.
-- (No semicolons inside comments: the migration runner splits statements on them.)
CREATE TABLE caldav_targets (
        target TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        feed TEXT NOT NULL,
        pushed_at TEXT
    );
    CREATE TABLE caldav_objects (
        target TEXT NOT NULL,
        uid TEXT NOT NULL,
        key TEXT NOT NULL,
        href TEXT NOT NULL,
        hash TEXT,
        fp TEXT,
        etag TEXT,
        pending_op TEXT CHECK (pending_op IN ('create', 'update', 'delete')),
        pending_hash TEXT,
        pending_fp TEXT,
        updated TEXT NOT NULL,
        PRIMARY KEY (target, uid)
    );
    CREATE UNIQUE INDEX caldav_objects_href ON caldav_objects(target, href);
    CREATE TABLE caldav_pushes (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,
        at TEXT NOT NULL,
        summary TEXT NOT NULL
    );
