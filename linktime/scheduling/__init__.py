"""The scheduling core: availability rules + busy time -> free slots.

Pure code: no Flask and no database. All instants are timezone-aware; results are in UTC.
"""
from linktime.scheduling.rules import (
    Availability,
    BookingRules,
    Busy,
    Slot,
    WorkingHours,
    format_hours,
    format_overrides,
    parse_hours,
    parse_overrides,
)
from linktime.scheduling.slots import first_start_after, free_slots, is_bookable, subtract

__all__ = [
    "Availability",
    "BookingRules",
    "Busy",
    "Slot",
    "WorkingHours",
    "first_start_after",
    "format_hours",
    "format_overrides",
    "free_slots",
    "is_bookable",
    "parse_hours",
    "parse_overrides",
    "subtract",
]
