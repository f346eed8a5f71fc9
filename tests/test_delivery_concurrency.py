"""The pool's adaptive concurrency (linked.delivery.pool.concurrency)."""

from __future__ import annotations

from linked.delivery.pool import Concurrency


def test_a_refusal_while_others_work_lowers_by_one_never_below_the_working() -> None:
    concurrency = Concurrency(10)
    assert concurrency.describe() == "10 connections"
    assert concurrency.refused(3, "421 4.7.0 too many connections")
    assert concurrency.limit == 9
    for _ in range(10):
        concurrency.refused(3, "421 4.7.0 too many connections")
    assert concurrency.limit == 3
    assert "3 of 10 connections" in concurrency.describe()
    assert "421 4.7.0 too many connections" in concurrency.describe()


def test_a_refusal_with_nothing_working_is_an_outage() -> None:
    concurrency = Concurrency(10)
    assert not concurrency.refused(0, "Connection refused")
    assert concurrency.limit == 10


def test_the_limit_grows_back_after_accepted_messages() -> None:
    concurrency = Concurrency(4, grow_after=5, limit=2)
    grew = [concurrency.accepted() for _ in range(10)]
    assert grew.count(True) == 1 and concurrency.limit == 3
    for _ in range(15):
        concurrency.accepted()
    assert concurrency.limit == 4
    assert not concurrency.accepted()  # at the pool size it stays
