"""The public booking pages as a stranger uses them: floods, caps, bounded work, a slow Zoom."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from linktime.extensions import db
from linktime.jobs.runner import wait_for_background
from linktime.models import Booking, MeetingStatus
from tests.helpers import add_event_type, add_user, book_form, close_app, connect_zoom, make_app

PATH = "/ada/intro-call/book"
TUESDAY = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 09:00 in New York


def slot(n: int) -> str:
    """The n-th half-hour slot of Tuesday and Wednesday, 09:00–17:00 New York."""
    day, index = divmod(n, 16)
    return (TUESDAY + timedelta(days=day, minutes=30 * index)).isoformat()


def book(client, n: int, email: str, address: str = "203.0.113.1"):
    client.environ_base["REMOTE_ADDR"] = address
    return book_form(client, PATH, slot(n), name="Someone", email=email, tz="UTC")


def bookings(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Booking.id)))


@pytest.fixture
def ada(app, clock):
    with app.app_context():
        add_event_type(add_user("ada"))


def test_a_flood_from_one_address_is_stopped_with_a_clear_message(app, ada):
    flooder = app.test_client()
    statuses = [book(flooder, n, f"invented{n}@example.com").status_code for n in range(11)]
    assert statuses == [303] * 10 + [429]
    page = book(flooder, 11, "another@example.com")
    assert page.status_code == 429
    assert "Too many booking attempts. Please try again in 6 minutes." in page.get_data(as_text=True)
    assert bookings(app) == 10
    # Someone else, elsewhere, still books.
    assert book(app.test_client(), 12, "bea@example.com", address="198.51.100.9").status_code == 303


def test_one_email_books_a_host_at_most_three_times_a_day(app, ada, clock):
    answers = [book(app.test_client(), n, "bea@example.com", address=f"198.51.100.{n}") for n in range(3)]
    assert [a.status_code for a in answers] == [303, 303, 303]
    # Cancelled bookings still count: booking and cancelling in a loop is no way round it.
    cancel = answers[0].location.split("?")[0] + "/cancel"
    assert app.test_client().post(cancel, data={"reason": ""}).status_code == 303
    fourth = book(app.test_client(), 3, "BEA@example.com", address="198.51.100.3")
    assert fourth.status_code == 429
    assert ("This email address has made 3 bookings with Ada in the last 24 hours, the most one address may make "
            "(a series counts once; guests are not counted).") in fourth.get_data(as_text=True)
    clock.shift(timedelta(hours=24, minutes=1))
    assert book(app.test_client(), 5, "bea@example.com", address="198.51.100.50").status_code == 303


def test_a_host_takes_at_most_their_daily_cap(tmp_path, clock):
    app = make_app(tmp_path, BOOKINGS_PER_HOST_PER_DAY=5)
    with app.app_context():
        add_event_type(add_user("ada"))
    answers = [book(app.test_client(), n, f"p{n}@example.com", address=f"198.51.100.{n}") for n in range(6)]
    assert [a.status_code for a in answers] == [303] * 5 + [429]
    assert "Ada cannot take more bookings today" in answers[5].get_data(as_text=True)
    assert bookings(app) == 5
    close_app(app)


def test_the_booking_post_is_throttled_per_host(tmp_path, clock):
    app = make_app(tmp_path, BOOKINGS_PER_HOST_PER_HOUR=3)
    with app.app_context():
        add_event_type(add_user("ada"))
    answers = [book(app.test_client(), n, f"p{n}@example.com", address=f"198.51.100.{n}") for n in range(4)]
    assert [a.status_code for a in answers] == [303, 303, 303, 429]
    close_app(app)


def test_a_taken_slot_costs_an_attempt_too(app, ada):
    first = app.test_client()
    assert book(first, 0, "bea@example.com", address="198.51.100.1").status_code == 303
    prober = app.test_client()
    statuses = [book(prober, 0, f"guess{n}@example.com").status_code for n in range(11)]
    assert statuses == [409] * 10 + [429]


def test_sending_back_a_lost_time_without_choosing_another_costs_an_attempt(app, ada):
    """The form of someone who lost a time comes back with two weeks of other times: a stranger
    sending it again and again is throttled like any booking attempt."""
    prober = app.test_client()
    prober.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    statuses = [prober.post(PATH, data={"taken": slot(0), "name": "Someone", "email": f"p{n}@example.com",
                                        "tz": "UTC"}).status_code for n in range(11)]
    assert statuses == [409] * 10 + [429]
    assert "Too many booking attempts." in prober.post(PATH, data={"taken": slot(0)}).get_data(as_text=True)


def test_a_taken_time_is_answered_without_the_host_lock(app, ada):
    """Losers of a race are answered by reading: only their throttle count is written (and, once in
    ten minutes, the holder's link-resent mark), so they never queue behind the host's lock."""
    from tests.web.test_booking import statements_of

    assert book(app.test_client(), 0, "bea@example.com", address="198.51.100.1").status_code == 303
    assert book(app.test_client(), 0, "first-loser@example.com").status_code == 409  # resends Bea's link

    def writes(statements: list[str]) -> list[str]:
        return [s for s in statements if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
                and "rate_limits" not in s]

    later = statements_of(app, lambda: book(app.test_client(), 0, "loser@example.com", address="203.0.113.9"))
    assert writes(later) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 1


# ---------------------------------------------------------------- bounded work


def test_a_730_day_window_at_5_minute_steps_is_searched_within_a_fixed_budget(app, clock, monkeypatch):
    from linktime.bookings.availability import SLOT_BUDGET
    from linktime.scheduling import slots

    with app.app_context():
        ada = add_user("ada")
        every_day = {str(d): [["00:00", "24:00"]] for d in range(7)}
        wide = add_event_type(ada, slug="wide", horizon_days=730, increment_minutes=5, weekly_hours=every_day,
                              max_per_day=1)
        # Every day's one booking is taken: every candidate is looked at, none is free.
        first = datetime(2026, 11, 23, 23, tzinfo=UTC)
        db.session.add_all([
            Booking(host_id=ada.id, event_type_id=wide.id, title="Taken", location="none",
                    start=first + timedelta(days=day), end=first + timedelta(days=day, minutes=30),
                    invitee_name="x", invitee_email=f"x{day}@example.com", invitee_timezone="UTC")
            for day in range(-1, 732)])
        db.session.commit()
    examined = []
    real = slots._candidates

    def counting(*args):
        for candidate in real(*args):
            examined.append(candidate)
            yield candidate

    monkeypatch.setattr(slots, "_candidates", counting)
    response = app.test_client().get("/ada/wide?tz=UTC")
    assert response.status_code == 200
    assert 0 < len(examined) <= SLOT_BUDGET + 31 * 288  # the search, then the month shown
    assert len(examined) < 730 * 288 / 3  # what searching the whole window would cost
    assert "No free times this month. Try the next month." in response.get_data(as_text=True)


def test_the_first_month_with_times_is_found_month_by_month(app, clock):
    with app.app_context():
        ada = add_user("ada")
        # Free only from February: the page opens on February, having stopped there.
        offs = {(datetime(2026, 11, 23) + timedelta(days=d)).date().isoformat(): [] for d in range(75)}
        add_event_type(ada, slug="later", horizon_days=200, date_overrides=offs)
    page = app.test_client().get("/ada/later?tz=America/New_York").get_data(as_text=True)
    assert "February 2027" in page


def test_the_form_refuses_a_window_too_wide_for_its_step(app, auth):
    from tests.web.test_event_types import FORM

    with app.app_context():
        add_user("ada")
    auth.login()
    response = auth.client.post("/event-types/new", data={**FORM, "slug": "wide", "horizon_days": "730",
                                                          "increment_minutes": "5"})
    assert response.status_code == 422
    assert "With start times every 5 minutes, the window can be at most 365 days" in response.get_data(as_text=True)
    ok = auth.client.post("/event-types/new", data={**FORM, "slug": "wide", "horizon_days": "730",
                                                    "increment_minutes": "15"})
    assert ok.status_code == 302


# ---------------------------------------------------------------- a slow Zoom


def test_a_slow_zoom_does_not_hold_the_booking_request(tmp_path, sandbox, clock):
    app = make_app(tmp_path, ZOOM_SANDBOX_URL=sandbox.url, JOBS_INLINE=False, MEETING_WAIT_SECONDS=0.2)
    with app.app_context():
        add_event_type(add_user("ada"), location="zoom")
    host = app.test_client()
    host.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    connect_zoom(host)
    hold = sandbox.state.add_fault("hold", seconds=30, method="POST", path="/v2/users/me/meetings")
    try:
        response = book(app.test_client(), 0, "bea@example.com")
        # Answered while Zoom still holds the create (or before it even reached Zoom, on a busy
        # machine): the request did not wait for it.
        assert response.status_code == 303 and hold.arrived.wait(10) and not hold.release.is_set()
        page = app.test_client().get(response.location).get_data(as_text=True)
        assert "your Zoom link is being created" in page
    finally:
        hold.release.set()
    wait_for_background()
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        assert booking.meeting.status == MeetingStatus.CREATED
        manage = booking.manage_url.split("5000", 1)[1]
    assert "/j/" in app.test_client().get(manage).get_data(as_text=True)
    close_app(app)


def token_of(answer) -> str:
    return answer.location.split("/booking/", 1)[1].split("?")[0]


def test_changes_through_a_private_link_are_throttled_per_booking(app, ada, clock):
    token = token_of(book(app.test_client(), 0, "bea@example.com", address="198.51.100.1"))
    mover = app.test_client()
    mover.environ_base["REMOTE_ADDR"] = "198.51.100.2"
    moves = [mover.post(f"/booking/{token}/reschedule", data={"start": slot(n), "tz": "UTC"}) for n in range(1, 8)]
    assert [m.status_code for m in moves] == [303] * 6 + [429]
    assert "Too many changes to this booking. Please try again in 10 minutes." in moves[-1].get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Booking.start)).isoformat() == slot(6)  # the 7th did nothing
    elsewhere = app.test_client()  # another address: it is the booking that is spent
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    refused = elsewhere.post(f"/booking/{token}/cancel", data={"reason": ""})
    assert refused.status_code == 429 and "Too many changes" in refused.get_data(as_text=True)
    clock.shift(timedelta(minutes=10))
    assert elsewhere.post(f"/booking/{token}/cancel", data={"reason": ""}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Booking.status)) == "cancelled"


def test_changes_are_throttled_per_client_address(tmp_path, clock):
    app = make_app(tmp_path, CHANGES_PER_ADDRESS_PER_HOUR=2)
    with app.app_context():
        add_event_type(add_user("ada"))
    tokens = [token_of(book(app.test_client(), n, f"p{n}@example.com", address=f"198.51.100.{n}")) for n in range(3)]
    one = app.test_client()
    one.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    answers = [one.post(f"/booking/{token}/cancel", data={"reason": ""}).status_code for token in tokens]
    assert answers == [303, 303, 429]
    close_app(app)


def test_a_shared_zoom_account_has_a_daily_cap_summed_over_every_host_it_serves(tmp_path, sandbox, clock):
    from tests.helpers import signed_in

    app = make_app(tmp_path, ZOOM_SANDBOX_URL=sandbox.url, ZOOM_TIMEOUT=2, MEETINGS_PER_ACCOUNT_PER_DAY=4)
    with app.app_context():
        add_event_type(add_user("ada"), location="zoom", repeat_weeks=1, repeat_max=4)
        add_event_type(add_user("bob", admin=False), slug="bob-call", location="zoom")
    connect_zoom(signed_in(app), email="team@zoom-sandbox.test", workspace=True)  # neither has their own

    def booking(path: str, n: int, **extra):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        return book_form(client, path, slot(n), name="Someone", email=f"p{n}@example.com", tz="UTC", **extra)

    assert booking("/ada/intro-call/book", 0).status_code == 303
    assert booking("/bob/bob-call/book", 1).status_code == 303
    # a series of three: each session is a meeting on the team's account, one more than is left
    series = booking("/ada/intro-call/book", 2, sessions="3")
    assert series.status_code == 429 and "Ada cannot take more Zoom bookings today" in series.get_data(as_text=True)
    assert booking("/ada/intro-call/book", 3, sessions="2").status_code == 303
    refused = booking("/bob/bob-call/book", 4)  # Bob's own first today: the account's day is full
    assert refused.status_code == 429 and "Bob cannot take more Zoom bookings today" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 4
    clock.shift(timedelta(hours=24, minutes=1))
    assert booking("/bob/bob-call/book", 20).status_code == 303
    close_app(app)
