"""Click commands, one module per area; importing a module registers its commands."""

from g40cal.commands import (
    caldav,  # noqa: F401
    core,  # noqa: F401
    importing,  # noqa: F401
    mail,  # noqa: F401
    participants,  # noqa: F401
    serve,  # noqa: F401
)
