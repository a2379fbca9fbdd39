"""The shared throttle under contention: every request is counted once, whoever creates the row."""
from __future__ import annotations

import threading

import pytest

from linktime.extensions import db
from linktime.throttle import Limit, Throttled, hit


@pytest.mark.parametrize("count", [1, 5])
def test_simultaneous_first_requests_are_each_counted_once(app, count):
    limit = Limit("test", count, 3600)
    barrier = threading.Barrier(12)
    outcomes = []

    def request() -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                hit(limit, "198.51.100.1")
                outcomes.append("allowed")
            except Throttled as exc:
                outcomes.append(exc.minutes)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("allowed") == count
    # The refused are told when the next request is allowed: one hour / count from now, at most.
    assert all(isinstance(o, int) and 1 <= o <= 61 for o in outcomes if o != "allowed")


def test_the_allowance_comes_back_gradually(app):
    limit = Limit("test", 3, 300)  # 3 at once, then one every 100 s
    with app.app_context():
        for _ in range(3):
            hit(limit, "a", now=1000.0)
        with pytest.raises(Throttled) as refused:
            hit(limit, "a", now=1000.0)
        assert refused.value.retry_after == pytest.approx(100)
        hit(limit, "a", now=1100.0)
        with pytest.raises(Throttled):
            hit(limit, "a", now=1150.0)
        hit(limit, "b", now=1150.0)  # another subject has its own allowance


def test_a_request_that_read_the_clock_first_but_wrote_last_is_still_counted(app):
    """Simultaneous requests read the clock microseconds apart and may reach the table in any order."""
    limit = Limit("test", 5, 3600)
    with app.app_context():
        for _ in range(4):
            hit(limit, "a", now=1000.0002)
        hit(limit, "a", now=1000.0)  # the fifth of five: allowed, though its clock is the oldest
        with pytest.raises(Throttled):
            hit(limit, "a", now=1000.0003)
