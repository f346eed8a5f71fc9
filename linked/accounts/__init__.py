"""Console accounts: who may sign in, with which role, their sessions, and the audit log.

Every function takes a ``Session`` and leaves committing to the caller, so a change
and its audit row are written in one transaction.
"""
