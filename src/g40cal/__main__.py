"""``python -m g40cal`` runs the command line."""

from g40cal.cli import main

main()
