"""Benchmark: free slots of one month against growing numbers of busy intervals.

    .venv/bin/python bench/slots.py

Slot computation should grow as O(n log n) in the busy intervals of the window: the time per
busy interval should stay roughly flat as n grows tenfold.
"""
from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from linktime.scheduling import Availability, BookingRules, Busy, free_slots, parse_hours

START = datetime(2026, 12, 1, tzinfo=UTC)
END = START + timedelta(days=31)


def run(busy_count: int, repeat: int = 5) -> float:
    rng = random.Random(busy_count)
    availability = Availability(timezone="Europe/Berlin", weekly={d: parse_hours("08:00-20:00") for d in range(7)})
    rules = BookingRules(duration=timedelta(minutes=30), increment=timedelta(minutes=15),
                         buffer_before=timedelta(minutes=10), horizon=timedelta(days=400), seats=3)
    busy = []
    for _ in range(busy_count):
        start = START + timedelta(minutes=15 * rng.randrange(31 * 96))
        busy.append(Busy(start, start + timedelta(minutes=rng.choice([15, 30, 60])), rng.choice([None, 1])))
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        free_slots(availability, rules, busy, now=START - timedelta(days=1), window_start=START,
                   window_end=END, event_type_id=1)
        best = min(best, time.perf_counter() - began)
    return best


if __name__ == "__main__":
    print(f"{'busy intervals':>15} {'ms per month':>13} {'µs per interval':>16}")
    for n in (10, 100, 1_000, 10_000, 100_000):
        seconds = run(n)
        print(f"{n:>15,} {seconds * 1000:>13.1f} {seconds / n * 1e6:>16.2f}")
