"""Cached booking calendars change the moment availability does — in every worker."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from linktime import create_app
from linktime.extensions import db
from tests.helpers import add_event_type, add_user, book_form
from tests.web.test_event_types import FORM

TUESDAY = "/ada/intro-call?tz=UTC&date=2026-11-24"
EDIT = {**FORM, "min_notice_minutes": "0", "buffer_after_minutes": "0", "date_overrides": "",
        "tuesday": "09:00-17:00", "wednesday": "09:00-17:00", "thursday": "09:00-17:00"}


@pytest.fixture
def workers(app, clock):
    """Two app instances on one database, as two gunicorn workers are: each has its own cache."""
    with app.app_context():
        add_event_type(add_user("ada"))
    config = {key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "ENCRYPTION_KEYS", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED",
        "SCHEDULER_ENABLED", "BASE_URL", "ZOOM_SANDBOX_CLIENT_SECRET", "ZOOM_SANDBOX_WEBHOOK_SECRET")}
    other = create_app(config, instance_path=app.instance_path)
    yield app, other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def times(worker, path: str = TUESDAY, *, htmx: bool = False) -> list[str]:
    response = worker.test_client().get(path, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 200
    return re.findall(r'class="outline slot"[^>]*>(\d\d:\d\d)', response.get_data(as_text=True))


def signed_in(worker):
    client = worker.test_client()
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    return client


def test_a_booking_and_a_cancellation_show_at_once_in_both_workers(workers):
    a, b = workers
    assert times(a)[0] == times(b)[0] == "14:00" and times(b, htmx=True)[0] == "14:00"  # both cached now
    booked = book_form(a.test_client(), "/ada/intro-call/book", "2026-11-24T14:00:00+00:00",
                       name="Bea", email="bea@example.com", tz="UTC")
    assert booked.status_code == 303
    assert "14:00" not in times(a) and "14:00" not in times(b) and "14:00" not in times(b, htmx=True)
    cancel = booked.location.split("?")[0] + "/cancel"
    assert b.test_client().post(cancel, data={"reason": ""}).status_code == 303
    assert times(a)[0] == times(b)[0] == "14:00"


def test_an_event_type_edit_shows_at_once_in_both_workers(workers):
    a, b = workers
    assert times(b)[0] == "14:00"
    host = signed_in(a)
    assert host.post("/event-types/1/edit", data={**EDIT, "tuesday": "10:00-12:00"}).status_code == 302
    assert times(b) == ["15:00", "15:30", "16:00", "16:30"]
    assert host.post("/event-types/1/edit", data={**EDIT, "date_overrides": "2026-11-24 off"}).status_code == 302
    assert times(b) == [] and times(a) == []


def test_another_event_types_buffer_change_shows_too(workers):
    a, b = workers
    with a.app_context():
        from linktime.models import User

        add_event_type(db.session.get(User, 1), slug="other")
    assert book_form(a.test_client(), "/ada/other/book", "2026-11-24T15:00:00+00:00", name="Cy",
                     email="cy@example.com", tz="UTC").status_code == 303
    assert "15:30" in times(b)
    host = signed_in(a)
    # Ten minutes after each "other" booking now: 15:30 on Tuesday is no longer free.
    assert (
        host.post("/event-types/2/edit", data={**EDIT, "slug": "other", "buffer_after_minutes": "10"}).status_code
        == 302
    )
    assert "15:30" not in times(b)


def test_the_passing_of_the_notice_boundary_and_the_window_edge(workers, clock):
    a, b = workers
    monday = "/ada/intro-call?tz=UTC&date=2026-11-23"
    assert times(a, monday)[0] == times(b, monday)[0] == "14:00"
    clock.move_to(datetime(2026, 11, 23, 14, 0, 1, tzinfo=UTC))
    assert times(a, monday)[0] == times(b, monday)[0] == "14:30"

    host = signed_in(a)
    host.post("/event-types/1/edit", data={**EDIT, "horizon_days": "2"})
    wednesday = "/ada/intro-call?tz=UTC&date=2026-11-25"
    assert times(b, wednesday) == ["14:00"]  # the window ends at Wednesday 14:00:01
    clock.move_to(datetime(2026, 11, 23, 14, 30, 1, tzinfo=UTC))
    assert times(b, wednesday) == ["14:00", "14:30"]  # 14:30 entered the window: the cached page knew


def test_a_host_time_zone_change_shows_at_once(workers):
    a, b = workers
    assert times(b)[0] == "14:00"
    signed_in(a).post("/settings/profile", data=dict(name="Ada", email="ada@example.com", username="ada",
                                                     timezone="Europe/London"))
    assert times(b)[0] == "09:00"


def test_a_signed_in_host_and_a_stranger_never_share_a_cached_page(workers):
    a, _ = workers
    stranger = a.test_client()
    assert "Sign out" not in stranger.get(TUESDAY).get_data(as_text=True)  # now kept for strangers
    host = signed_in(a)
    own = host.get(TUESDAY).get_data(as_text=True)
    assert "Sign out" in own and "X-CSRFToken" in own
    again = stranger.get(TUESDAY)
    assert "Sign out" not in again.get_data(as_text=True) and "X-CSRFToken" not in again.get_data(as_text=True)
    assert "Set-Cookie" not in again.headers


def test_a_visitor_with_a_message_waiting_gets_it(workers):
    a, _ = workers
    a.test_client().get(TUESDAY)  # kept for visitors without a message
    visitor = a.test_client()
    with visitor.session_transaction() as session:
        session["_flashes"] = [("info", "Your booking was cancelled.")]
    assert "Your booking was cancelled." in visitor.get(TUESDAY).get_data(as_text=True)
    assert "Your booking was cancelled." not in visitor.get(TUESDAY).get_data(as_text=True)  # shown once


def test_the_cache_keeps_to_its_size_whatever_strangers_ask_for(clock):
    from datetime import timedelta

    from linktime.bookings.page_cache import PageCache, Rendered
    from linktime.models import now_utc

    cache = PageCache(capacity=10_000)
    later = now_utc() + timedelta(hours=1)
    for n in range(100):
        cache.get_or_render(("page", n), lambda: Rendered("x" * 1_000, later))
    assert cache.size <= 10_000 and len(cache.entries) == 10
    assert cache.size == sum(len(entry.html) for entry in cache.entries.values())
    calls = []
    cache.get_or_render(("page", 99), lambda: calls.append(1) or Rendered("y", later))
    assert calls == []  # the most recent ones are kept
