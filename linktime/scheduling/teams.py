"""Team scheduling: the times a team offers, and who gets a round-robin booking.

Each member's free slots are computed on their own (their hours in their own time zone, their
bookings, calendars, buffers and limits); a round-robin event type offers a time at which at
least one of them is free, a collective one a time at which every one of them is.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from linktime.scheduling.rules import Slot


def anyone_free(per_member: Sequence[Sequence[Slot]]) -> list[Slot]:
    """The times at which at least one member is free; ``seats_left`` is how many of them are."""
    free: dict[datetime, Slot] = {}
    for slots in per_member:
        for slot in slots:
            known = free.get(slot.start)
            free[slot.start] = slot if known is None else Slot(known.start, known.end, known.seats_left + 1)
    return [free[start] for start in sorted(free)]


def everyone_free(per_member: Sequence[Sequence[Slot]]) -> list[Slot]:
    """The times at which every member is free (none for no members)."""
    if not per_member:
        return []
    starts = set.intersection(*({slot.start for slot in slots} for slots in per_member))
    first = {slot.start: slot for slot in per_member[0]}
    return [Slot(start, first[start].end, 1) for start in sorted(starts)]


@dataclass(frozen=True)
class Candidate:
    """A member free at the time asked for, with what round-robin weighs."""

    user_id: int
    bookings: int  # their bookings of the event type in the current period
    weight: int = 100  # their share: twice the weight, twice the bookings
    priority: int = 0  # higher first among members equally due
    last_booked: datetime | None = None  # when they were last given one (None: never)


def fairness_order(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Who is most due first: the fewest bookings for their weight, then the highest priority,
    then whoever was booked longest ago (never first), then the lowest id (a stable answer)."""
    def key(candidate: Candidate) -> tuple[Fraction, int, float, int]:
        share = Fraction(candidate.bookings, max(1, candidate.weight))
        booked = candidate.last_booked.timestamp() if candidate.last_booked is not None else float("-inf")
        return share, -candidate.priority, booked, candidate.user_id

    return sorted(candidates, key=key)
