-- Small facts about the last publication, e.g. the render signature (code version and
-- settings that shape every feed): when it changes, every feed is re-rendered.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
