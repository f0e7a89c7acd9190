"""E-mail to participants: their personal links (welcome) and notices of changes.

``settings`` reads ``[mail]`` from g40cal.toml, ``outbox`` plans messages into the state
database (an outbox: planned, stored, then sent one by one), ``messages`` writes them
(Dutch, plain text + HTML, from templates a bureau may override) and ``sending`` delivers
them through the bureau's SMTP server, one recorded acceptance at a time.
"""
