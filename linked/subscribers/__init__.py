"""Subscribers: the list, double opt-in, leaving, import/export and erasure."""
