"""Click commands, one module per area; importing a module registers its commands."""

from g40cal.commands import core, serve  # noqa: F401
