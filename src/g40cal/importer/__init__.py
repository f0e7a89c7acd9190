"""``g40cal import``: the bureau's own programme document becomes a draft definition.

Flow: ``reading`` (one reader per file format) gives a ``Document`` of paragraphs and
tables with their source positions; the recogniser turns it into days and items; the
writer renders a commented TOML definition and a report of every unused line.
"""
