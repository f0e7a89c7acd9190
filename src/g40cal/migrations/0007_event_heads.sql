-- Every sync reads the head of every stored event (hashes, sequence, status; not the event
-- JSON) to tell what did not change: a covering index answers that without reading the
-- table's rows, a third of the time at a network's 8,000 events.
CREATE INDEX events_heads ON events(key, sig, full, sequence, modified, status, removed,
                                    ends_at, digest);
