"""Delivery: plan one row per recipient, then send them over a pooled, rate-limited SMTP
connection set, recording each row's state durably so a crash never loses or doubles mail.

Modules: :mod:`models` (tables), :mod:`plan` (rows), :mod:`ratelimit`, :mod:`pool` (SMTP),
:mod:`breaker` (shared back-off), :mod:`store` (row state changes), :mod:`engine`
(workers), :mod:`run` (a run from the settings), :mod:`service` (what the CLI calls).
"""
