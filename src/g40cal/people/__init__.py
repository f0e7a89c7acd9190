"""People: participants, their registrations and choices, imports and exports."""
