"""Definitions: reading, checking and compiling the programme files (load → validate)."""
