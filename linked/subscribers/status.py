"""A subscriber's status, apart from the tables so the command line can name it cheaply."""

from __future__ import annotations

from enum import StrEnum


class SubscriberStatus(StrEnum):
    """Where a subscriber is in their life cycle; only ``confirmed`` receives editions."""

    pending = "pending"
    confirmed = "confirmed"
    unsubscribed = "unsubscribed"
    bounced = "bounced"
    complained = "complained"
