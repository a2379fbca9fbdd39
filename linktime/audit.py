"""What happened, in words, never a secret: the trail hosts read on Settings → Integrations, and
each booking's history on its page."""
from __future__ import annotations

from sqlalchemy import func, select, update

from linktime.extensions import db
from linktime.models import AuditEvent, BookingHistory, Meeting


def record(user_id: int | None, kind: str, detail: str = "") -> None:
    """Add an event to the current transaction."""
    db.session.add(AuditEvent(user_id=user_id, kind=kind, detail=detail[:1000]))


def recent(user_id: int, limit: int = 20) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.user_id == user_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    ))


def forget(phrases: list[str], replacement: str) -> None:
    """Take a disconnected account's name out of every entry (the promise: deleted), longest first."""
    for phrase in sorted(phrases, key=len, reverse=True):
        db.session.execute(
            update(AuditEvent).where(AuditEvent.detail.contains(phrase, autoescape=True))
            .values(detail=func.replace(AuditEvent.detail, phrase, replacement))
        )


def purge_free_space() -> None:
    """SQLite keeps deleted rows in free pages and the WAL: overwrite and truncate them now."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def note_booking(booking_id: int, detail: str) -> None:
    """Add a line to a booking's history (the host's booking page), in the current transaction."""
    db.session.add(BookingHistory(booking_id=booking_id, detail=detail[:1000]))


def note_meeting(meeting: Meeting, detail: str) -> None:
    """The line goes into the history of every booking the meeting serves (a group's, or one)."""
    for booking in meeting.bookings:
        note_booking(booking.id, detail)


def booking_history(booking_id: int) -> list[BookingHistory]:
    return list(db.session.scalars(
        select(BookingHistory).where(BookingHistory.booking_id == booking_id)
        .order_by(BookingHistory.created_at, BookingHistory.id)
    ))
