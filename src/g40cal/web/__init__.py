"""Web: the Dutch subscribe pages and the small server that serves feeds and pages."""
