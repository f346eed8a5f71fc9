"""A subscriber's status and the bounce kinds that change it, apart from the tables.

Kept in a module of their own so the command line can name them cheaply, and so the
bounce mailbox (:mod:`linked.bounces`) and the webhook, both above
:mod:`linked.subscribers` in the layers, share the one vocabulary with the recorder.
"""

from __future__ import annotations

from enum import StrEnum


class SubscriberStatus(StrEnum):
    """Where a subscriber is in their life cycle; only ``confirmed`` receives editions."""

    pending = "pending"
    confirmed = "confirmed"
    unsubscribed = "unsubscribed"
    bounced = "bounced"
    complained = "complained"


class BounceKind(StrEnum):
    """What a bounce report says happened; stored as its value in ``bounce_event.kind``."""

    #: The address does not exist or refuses for good: bounced at once.
    hard = "hard"
    #: A temporary failure: bounced after repeats on distinct sends.
    soft = "soft"
    #: The person reported the mail as spam (a feedback loop): complained at once.
    complaint = "complaint"
