"""Recurring bookings, in the booking service: sessions at the host's same local time across
daylight-saving changes, partial availability, all or none, one meeting per session at the Zoom
sandbox, cancelling one session or the rest, and a series counted once against the invitee's cap."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from linktime.bookings import series, service
from linktime.extensions import db
from linktime.models import Booking, BookingStatus, EventType, Meeting, MeetingStatus
from tests.conftest import add_event_type, add_user, connect_zoom

NEW_YORK, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
BEA = service.Invitee(name="Bea", email="bea@example.com", timezone="Europe/Berlin")


def weekly(app, **fields):
    with app.app_context():
        return add_event_type(add_user("ada"), repeat_weeks=1, repeat_max=6, horizon_days=120, **fields).id


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M")


@pytest.mark.parametrize("today,first,expected_utc,expected_berlin", [
    # Spring: New York changes on 14 March, Berlin on 28 March.
    ("2027-03-01", datetime(2027, 3, 9, 15, tzinfo=UTC), ["15:00", "14:00", "14:00", "14:00"],
     ["16:00", "15:00", "15:00", "16:00"]),
    # Autumn: Berlin changes on 25 October, New York on 1 November.
    ("2026-10-19", datetime(2026, 10, 20, 14, tzinfo=UTC), ["14:00", "14:00", "15:00", "15:00"],
     ["16:00", "15:00", "16:00", "16:00"]),
])
def test_sessions_keep_the_hosts_local_time_across_clock_changes(app, today, first, expected_utc, expected_berlin):
    event_type_id = weekly(app)
    with time_machine.travel(datetime.fromisoformat(today).replace(tzinfo=UTC), tick=False), app.app_context():
        event_type = db.session.get(EventType, event_type_id)
        booked = series.book_series(event_type, first, 4, BEA)
        assert [b.start.strftime("%H:%M") for b in booked] == expected_utc
        assert {local(b.start, NEW_YORK)[-5:] for b in booked} == {"10:00"}  # the host's 10:00 every week
        # the invitee's clock moves in the weeks when one side has changed and the other not yet
        assert [local(b.start, BERLIN)[-5:] for b in booked] == expected_berlin
        assert [b.series_index for b in booked] == [1, 2, 3, 4] and len({b.series_id for b in booked}) == 1
        assert len({b.uid for b in booked}) == 4  # each its own invite UID


def test_taken_sessions_are_shown_and_the_free_ones_booked_or_none(app, clock):
    event_type_id = weekly(app)
    with app.app_context():
        event_type = db.session.get(EventType, event_type_id)
        first = datetime(2026, 11, 24, 15, tzinfo=UTC)  # Tuesday 10:00 in New York
        service.book_slot(event_type, datetime(2026, 12, 1, 15, tzinfo=UTC),  # the second Tuesday is taken
                          service.Invitee(name="Cy", email="cy@example.com", timezone="UTC"))
        sessions = series.plan(event_type, first, 4)
        assert [s.free for s in sessions] == [True, False, True, True]
        with pytest.raises(series.SeriesUnavailable) as refused:
            series.book_series(event_type, first, 4, BEA, all_or_nothing=True)
        assert refused.value.missing == [datetime(2026, 12, 1, 15, tzinfo=UTC)]
        assert db.session.scalar(select(func.count(Booking.id)).where(Booking.invitee_email == BEA.email)) == 0
        booked = series.book_series(event_type, first, 4, BEA, key="form-1")
        assert [b.start.day for b in booked] == [24, 8, 15] and [b.series_index for b in booked] == [1, 2, 3]
        again = series.book_series(event_type, first, 4, BEA, key="form-1")  # the same form sent twice
        assert [b.id for b in again] == [b.id for b in booked]
        with pytest.raises(service.SlotUnavailable):
            series.book_series(event_type, first, 7, BEA)  # more sessions than the host allows


def test_a_series_counts_once_against_the_invitees_daily_cap(app, clock):
    event_type_id = weekly(app)
    with app.app_context():
        event_type = db.session.get(EventType, event_type_id)
        series.book_series(event_type, datetime(2026, 11, 24, 15, tzinfo=UTC), 5, BEA)
        service.book_slot(event_type, datetime(2026, 11, 25, 15, tzinfo=UTC), BEA)
        service.book_slot(event_type, datetime(2026, 11, 26, 15, tzinfo=UTC), BEA)  # 3 bookings in all: the cap
        with pytest.raises(service.BookingLimit):
            service.book_slot(event_type, datetime(2026, 11, 27, 15, tzinfo=UTC), BEA)


def test_each_session_has_its_own_meeting_and_one_or_the_rest_can_be_cancelled(zoom_app, zoom_client, sandbox, clock):
    event_type_id = weekly(zoom_app, location="zoom")
    zoom_client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    connect_zoom(zoom_client)
    with zoom_app.app_context():
        event_type = db.session.get(EventType, event_type_id)
        booked = series.book_series(event_type, datetime(2026, 11, 24, 15, tzinfo=UTC), 4, BEA)
        ids = [b.id for b in booked]
        meetings = [db.session.get(Booking, i).meeting for i in ids]
        assert all(m.status == MeetingStatus.CREATED for m in meetings) and len({m.external_id for m in meetings}) == 4
    live = lambda: sorted(m["start_time"] for m in sandbox.state.meetings.values() if not m["deleted"])  # noqa: E731
    assert len(live()) == 4
    with zoom_app.app_context():
        service.cancel_booking(db.session.get(Booking, ids[2]), by="invitee")  # the third only
        assert len(live()) == 3
        cancelled = series.sessions_of(db.session.get(Booking, ids[0]))
        assert [b.status for b in cancelled] == ["confirmed", "confirmed", "cancelled", "confirmed"]
        gone = service.cancel_rest(db.session.get(Booking, ids[1]), by="host")  # the second and everything after
        assert [b.id for b in gone] == [ids[1], ids[3]]
        assert [b.status for b in series.sessions_of(db.session.get(Booking, ids[0]))] == [
            BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.CANCELLED, BookingStatus.CANCELLED]
        assert db.session.scalar(select(func.count(Meeting.id)).where(Meeting.status == MeetingStatus.CREATED)) == 1
    assert live() == ["2026-11-24T15:00:00Z"]
