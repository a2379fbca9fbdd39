"""A host's bookings happen one at a time: every booking transaction first raises the host's
``booking_seq``, which holds the host's row lock until it commits (two tries for one slot are
serialised: the second sees the first one's booking when it checks). The same number is the
version every cached booking calendar of the host is checked against, so raising it is also how
any change to what the host offers (hours, buffers, a calendar connected) reaches those pages."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select, update

from linktime.extensions import db
from linktime.models import User


def availability_changed(host_id: int) -> None:
    """Raise the host's booking_seq: every cached booking calendar of the host is out of date.

    Any event type's hours or buffers can change what the host's other event types offer.
    """
    db.session.execute(update(User).where(User.id == host_id).values(booking_seq=User.booking_seq + 1))


def lock_host(host_id: int) -> None:
    """Take the host's booking lock for the rest of this transaction, without marking their pages
    out of date. A job that writes a booking after its meeting takes it first: every writer then
    takes the host's row before any booking or meeting row, and none waits on another's (on
    PostgreSQL, two orders would deadlock). Runs before any pending change is flushed."""
    with db.session.no_autoflush:
        db.session.execute(select(User.id).where(User.id == host_id).with_for_update())


@contextmanager
def host_transaction(*host_ids: int) -> Iterator[None]:
    """One transaction that holds the booking locks of these hosts (a team booking's: every member
    it may go to), taken in one order — by id — so two of them never wait on each other; commits,
    or rolls back on error."""
    try:
        for host_id in sorted(set(host_ids)):
            availability_changed(host_id)
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
