"""Click commands, one module per area; importing a module registers its commands."""

from g40cal.commands import core, participants, serve  # noqa: F401
