"""g40cal: calendar feeds and sync for the G40 Stedennetwerk's network days.

The command line (``g40cal.cli``) is a thin shell over this library. Data flows one way:
load → validate → build events → select audiences → diff with state → publish files →
push to CalDAV → record state.
"""

__version__ = "0.1.0"
