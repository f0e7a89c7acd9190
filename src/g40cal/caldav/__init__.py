"""CalDAV: a small client and the push of published feeds to calendar servers."""
