"""Publishing: events, iCalendar feeds, diffing with the state, planning and applying a sync."""
