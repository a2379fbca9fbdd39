"""Google Calendar and Outlook, over real HTTP against the sandbox that plays them.

Connect (Allow and Deny), busy times kept off the booking page, each booking written into the
chosen calendar with its Zoom link and following it through reschedule and cancel, access tokens
refreshed (Microsoft's refresh tokens rotate and are stored), a revoked grant asking the host to
connect again, busy or failing services retried without ever making a second event, and
disconnect revoking at Google.
"""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select, update

from linktime import token_renewal
from linktime.calendars import busy, oauth
from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import Booking, CalendarConnection, CalendarEvent, ConnectedCalendar, EventStatus
from tests.helpers import add_event_type, add_user, book_form, close_app, connect_zoom, make_app, signed_in

TUESDAY = "2026-11-24"  # the clock fixture's Monday is 23 November 2026, 01:00 in New York
EMAIL = {"google": "host@gmail-sandbox.test", "microsoft": "host@outlook-sandbox.test"}


@pytest.fixture
def calendar_app(tmp_path, sandbox, clock):
    app = make_app(tmp_path, ZOOM_SANDBOX_URL=sandbox.url, ZOOM_TIMEOUT=2, CALENDAR_TIMEOUT=2)
    with app.app_context():
        add_event_type(add_user("ada"), location="zoom")
    yield app
    close_app(app)


@pytest.fixture
def ada(calendar_app):
    return signed_in(calendar_app)


def connect(client, name: str, *, decision: str = "allow", email: str | None = None, untick: tuple[str, ...] = ()):
    """Do what a host does: Connect, Allow (or Deny) on the provider's page (with the boxes of
    ``untick`` unticked), come back."""
    start = client.post(f"/integrations/{name}/connect")
    assert start.status_code == 303, start.get_data(as_text=True)
    page = requests.get(start.location, timeout=10)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    ticked = [
        value
        for value in re.findall(r'<input type="checkbox" name="granted" value="([^"]+)" checked>', page.text)
        if not value.endswith(untick or ("\0",))
    ]
    answer = requests.post(start.location.split("?")[0], allow_redirects=False, timeout=10,
                           data={**fields, "granted": ticked, "email": email or EMAIL[name], "decision": decision})
    assert answer.status_code in (302, 303), answer.text
    return client.get(answer.headers["Location"].split("127.0.0.1:5000", 1)[1], follow_redirects=True)


def times(client, date: str = TUESDAY) -> list[str]:
    page = client.get(f"/ada/intro-call?tz=America/New_York&date={date}").get_data(as_text=True)
    return re.findall(r'class="outline slot"[^>]*>(\d\d:\d\d)', page)


def book(app, start: str):
    return book_form(app.test_client(), "/ada/intro-call/book", start, name="Bea", email="bea@example.com", notes="",
                     tz="America/New_York")


def held(sandbox, name: str) -> dict[str, list[dict]]:
    """What the sandbox's calendars of that provider hold: {calendar name: [events]}."""
    accounts = requests.get(f"{sandbox.url}/sandbox/calendars", headers={"Accept": "application/json"}).json()
    return {cal["name"]: cal["events"] for acc in accounts if acc["key"] == name for cal in acc["calendars"]}


def ours(sandbox, name: str) -> list[dict]:
    return [e for events in held(sandbox, name).values() for e in events if e["title"].startswith("Intro Call")]


@pytest.mark.parametrize("name", ["google", "microsoft"])
def test_connect_busy_times_and_a_booking_followed_through_its_life(calendar_app, ada, sandbox, clock, name):
    app = calendar_app
    connect_zoom(ada)
    done = connect(ada, name).get_data(as_text=True)
    assert f"Connected {EMAIL[name]}" in done
    with app.app_context():
        connection = db.session.scalar(select(CalendarConnection))
        assert connection.account == EMAIL[name] and connection.provider == (
            "google" if name == "google" else "outlook"
        )
        assert "refresh_token" not in connection.secret_enc and oauth.Tokens.from_json(connection.secret) is not None
        assert sorted(c.name for c in connection.calendars) == sorted(held(sandbox, name))
        assert [c.is_destination for c in connection.calendars].count(True) == 1
    # The seeded "Team lunch" (17:00–18:00 UTC) blocks; the all-afternoon event marked free does not.
    shown = times(app.test_client())
    assert "12:00" not in shown and "12:30" not in shown and "11:30" in shown and "14:00" in shown
    # A busy hour marked in the sandbox: pages made a moment ago still offer it, for a minute.
    requests.post(f"{sandbox.url}/sandbox/calendars/busy",
                  json={"provider": name, "email": EMAIL[name], "start": "2026-11-24T15:00", "minutes": 60})
    assert "10:00" in times(app.test_client())
    clock.shift(busy.FRESH + timedelta(seconds=1))
    assert "10:00" not in times(app.test_client()) and "10:30" not in times(app.test_client())

    assert book(app, "2026-11-24T16:00:00+00:00").status_code == 303
    [event] = ours(sandbox, name)
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        join, manage = booking.meeting.join_url, booking.manage_url.split("5000", 1)[1]
        assert booking.calendar_event.status == EventStatus.WRITTEN
    assert event["start"] == "2026-11-24 16:00" and event["where"] == join  # with its Zoom link
    assert "11:00" not in times(app.test_client()) and "11:30" in times(app.test_client())

    page = app.test_client().post(f"{manage}/reschedule", data={"start": "2026-11-25T17:00:00+00:00", "tz": "UTC"})
    assert page.status_code in (302, 303)
    [moved] = ours(sandbox, name)
    assert moved["start"] == "2026-11-25 17:00"
    assert app.test_client().post(f"{manage}/cancel", data={"reason": ""}).status_code in (302, 303)
    assert ours(sandbox, name) == []
    # The invitee holds the booking once, from our invitation: the provider mailed them nothing.
    assert sandbox.app.extensions["calendar_sandbox"].invitations == []


def test_deny_keeps_nothing_and_says_so(calendar_app, ada):
    page = connect(ada, "google", decision="deny").get_data(as_text=True)
    assert "Google Calendar was not connected: access was not allowed." in page
    with calendar_app.app_context():
        assert db.session.scalar(select(func.count(CalendarConnection.id))) == 0


@pytest.mark.parametrize("unticked,said", [
    ("calendar.events.owned",
     "these were not given: “Add, move and delete events for your bookings in your calendars”."),
    ("calendar.events.freebusy", "these were not given: “See when you are busy in them (only the times")])
def test_a_google_permission_unticked_on_the_consent_page_is_not_connected_and_says_which(
        calendar_app, ada, sandbox, unticked, said):
    page = connect(ada, "google", untick=(unticked,)).get_data(as_text=True)
    assert "Google Calendar was not connected: LinkTime needs every permission it asks for" in page
    assert said in page
    assert "leave every box ticked" in page
    with calendar_app.app_context():
        assert db.session.scalar(select(func.count(CalendarConnection.id))) == 0
    accounts = requests.get(f"{sandbox.url}/sandbox/calendars", headers={"Accept": "application/json"}).json()
    assert next(acc["revoked"] for acc in accounts if acc["key"] == "google")  # nothing left granted there
    connect(ada, "google")  # every box ticked: connected
    with calendar_app.app_context():
        assert db.session.scalar(select(func.count(CalendarConnection.id))) == 1


def test_a_callback_not_started_here_is_refused(calendar_app, ada):
    page = ada.get("/integrations/google/callback?code=x&state=forged", follow_redirects=True).get_data(as_text=True)
    assert "is not the one started here" in page
    with calendar_app.app_context():
        assert db.session.scalar(select(func.count(CalendarConnection.id))) == 0


@pytest.mark.parametrize("name", ["google", "microsoft"])
def test_expired_access_is_refreshed_and_microsofts_new_refresh_token_kept(calendar_app, ada, sandbox, clock, name):
    connect(ada, name)
    with calendar_app.app_context():
        before = oauth.Tokens.from_json(db.session.scalar(select(CalendarConnection)).secret)
    for _ in range(2):  # twice: the second refresh needs what the first stored
        requests.post(f"{sandbox.url}/sandbox/calendars/expire-access-tokens")
        clock.shift(busy.FRESH + timedelta(seconds=1))
        assert "12:00" not in times(calendar_app.test_client())  # read: the lunch still blocks
    with calendar_app.app_context():
        connection = db.session.scalar(select(CalendarConnection))
        after = oauth.Tokens.from_json(connection.secret)
        assert after.access_token != before.access_token and connection.read_failed_since is None
        assert (after.refresh_token != before.refresh_token) == (name == "microsoft")


@pytest.mark.parametrize("name", ["google", "microsoft"])
def test_a_revoked_grant_asks_the_host_to_connect_again(calendar_app, ada, sandbox, clock, name):
    connect(ada, name)
    requests.post(f"{sandbox.url}/sandbox/calendars/revoke", json={"provider": name, "email": EMAIL[name]})
    clock.shift(busy.FRESH + timedelta(seconds=1))
    assert "12:00" in times(calendar_app.test_client())  # times from what is known meanwhile
    dashboard = ada.get("/bookings").get_data(as_text=True)
    assert "needs attention" in dashboard and "refused LinkTime" in dashboard
    card = ada.get("/settings/integrations").get_data(as_text=True).split(f'id="{name}-card"', 1)[1][:400]
    assert "Needs attention" in card
    # A booking meanwhile is kept; its event could not be written, and says so.
    assert book(calendar_app, "2026-11-24T16:00:00+00:00").status_code == 303
    assert "Not added to your calendar" in ada.get("/bookings").get_data(as_text=True)
    connect(ada, name)  # connecting again clears it, and writes the event
    dashboard = ada.get("/bookings").get_data(as_text=True)
    assert "needs attention" not in dashboard and "Not added to your calendar" not in dashboard
    assert len(ours(sandbox, name)) == 1


@pytest.mark.parametrize("name,path", [("google", "/google/calendar/v3/calendars/"),
                                       ("microsoft", "/microsoft/v1.0/me/calendars/")])
@pytest.mark.parametrize("fault", [dict(kind="error", status=503), dict(kind="rate_limit"), dict(kind="lost_answer")])
def test_busy_or_failing_services_are_retried_and_never_make_two_events(calendar_app, ada, sandbox, clock, name, path,
                                                                         fault):
    connect(ada, name)
    with calendar_app.app_context():
        calendar_id = db.session.scalar(select(ConnectedCalendar.remote_id).where(ConnectedCalendar.is_destination))
    sandbox.state.add_fault(fault["kind"], status=fault.get("status", 500), method="POST",
                            path=f"{path}{calendar_id}/events")
    assert book(calendar_app, "2026-11-24T16:00:00+00:00").status_code == 303  # the booking stands
    with calendar_app.app_context():
        event = db.session.scalar(select(CalendarEvent))
        assert event.status == EventStatus.PENDING and event.last_error
    clock.shift(timedelta(minutes=10))
    with calendar_app.app_context():
        dispatch()
        assert db.session.scalar(select(CalendarEvent)).status == EventStatus.WRITTEN
    assert len(ours(sandbox, name)) == 1


@pytest.mark.parametrize("name", ["google", "microsoft"])
def test_disconnect_forgets_everything_and_revokes_where_it_can(calendar_app, ada, sandbox, name):
    connect(ada, name)
    with calendar_app.app_context():
        connection_id = db.session.scalar(select(CalendarConnection.id))
    page = ada.post(f"/integrations/calendars/{connection_id}/disconnect", follow_redirects=True).get_data(as_text=True)
    with calendar_app.app_context():
        assert db.session.scalar(select(func.count(CalendarConnection.id))) == 0
        assert db.session.scalar(select(func.count(ConnectedCalendar.id))) == 0
    accounts = requests.get(f"{sandbox.url}/sandbox/calendars", headers={"Accept": "application/json"}).json()
    revoked = next(acc["revoked"] for acc in accounts if acc["key"] == name)
    if name == "google":
        assert revoked and "Google was told to revoke" in page
    else:
        assert not revoked and "account.live.com/consent/Manage" in page


@pytest.mark.parametrize("name,path", [("google", "/google/calendar/v3/calendars/"),
                                       ("microsoft", "/microsoft/v1.0/me/calendars/")])
def test_a_reschedule_during_the_create_leaves_one_event_at_the_new_time(calendar_app, ada, sandbox, clock, name,
                                                                          path):
    from tests.web.test_interleavings import Background

    connect(ada, name)
    with calendar_app.app_context():
        calendar_id = db.session.scalar(select(ConnectedCalendar.remote_id).where(ConnectedCalendar.is_destination))
    hold = sandbox.state.add_fault("hold", seconds=30, method="POST", path=f"{path}{calendar_id}/events")
    booking = Background(lambda: book(calendar_app, "2026-11-24T16:00:00+00:00"))
    try:
        assert hold.arrived.wait(30)  # the create is at the provider, held there
        with calendar_app.app_context():
            manage = db.session.scalar(select(Booking)).manage_url.split("5000", 1)[1]
        moved = calendar_app.test_client().post(f"{manage}/reschedule",
                                                data={"start": "2026-11-25T17:00:00+00:00", "tz": "UTC"})
        assert moved.status_code in (302, 303)
    finally:
        hold.release.set()
    booking.finish()
    clock.shift(timedelta(seconds=5))
    with calendar_app.app_context():
        dispatch()  # the reschedule's sync, which waited for the create to let go
        event = db.session.scalar(select(CalendarEvent))
        assert event.status == EventStatus.WRITTEN and event.in_sync
    [only] = ours(sandbox, name)
    assert only["start"] == "2026-11-25 17:00"


@pytest.mark.parametrize("name,path", [("google", "/google/calendar/v3/calendars/"),
                                       ("microsoft", "/microsoft/v1.0/me/calendars/")])
def test_a_create_whose_answer_was_lost_then_a_reschedule_leaves_the_event_at_the_new_time(
        calendar_app, ada, sandbox, clock, name, path):
    """The provider made the event but its answer was lost; the booking moves before the create
    is sent again. Outlook answers the repeated create (same transactionId) with the event as first
    made, at the old time: it is corrected, not kept."""
    connect(ada, name)
    with calendar_app.app_context():
        calendar_id = db.session.scalar(select(ConnectedCalendar.remote_id).where(ConnectedCalendar.is_destination))
    sandbox.state.add_fault("lost_answer", method="POST", path=f"{path}{calendar_id}/events")
    assert book(calendar_app, "2026-11-24T16:00:00+00:00").status_code == 303
    assert [e["start"] for e in ours(sandbox, name)] == ["2026-11-24 16:00"]  # made, though we never heard
    with calendar_app.app_context():
        manage = db.session.scalar(select(Booking)).manage_url.split("5000", 1)[1]
    moved = calendar_app.test_client().post(f"{manage}/reschedule",
                                            data={"start": "2026-11-25T17:00:00+00:00", "tz": "UTC"})
    assert moved.status_code in (302, 303)
    clock.shift(timedelta(minutes=10))
    with calendar_app.app_context():
        dispatch()
        event = db.session.scalar(select(CalendarEvent))
        assert event.status == EventStatus.WRITTEN and event.in_sync
    [only] = ours(sandbox, name)
    assert only["start"] == "2026-11-25 17:00"


def test_a_burst_of_bookings_shares_one_fresh_reading_of_the_day(calendar_app, ada, sandbox, clock):
    connect(ada, "google")

    def reads() -> int:
        with sandbox.state.lock:
            return sum(1 for call in sandbox.state.log if call["path"].endswith("/freeBusy"))

    before = reads()
    assert book(calendar_app, "2026-11-24T15:00:00+00:00").status_code == 303
    first = reads() - before
    assert first == 2  # the day, read afresh from both checked calendars (no page was open)
    assert book(calendar_app, "2026-11-24T16:00:00+00:00").status_code == 303
    assert reads() - before == first  # a second booking within seconds uses that reading
    clock.shift(timedelta(seconds=11))
    assert book(calendar_app, "2026-11-24T18:00:00+00:00").status_code == 303  # after the seeded lunch
    assert reads() - before == 2 * first  # later, the day is read afresh again


def test_two_refreshes_at_once_in_one_process_make_one_and_share_it(calendar_app, ada, sandbox, monkeypatch):
    """Forced order: a refresh is held at Microsoft while a second thread needs a token too. Only
    one refresh is sent (a second would spend the rotated refresh token); both get the new token."""
    from tests.web.test_interleavings import Background

    connect(ada, "microsoft")
    expire_stored_tokens(calendar_app, sandbox)
    hold = sandbox.state.add_fault("hold", seconds=30, method="POST", path=MICROSOFT_TOKEN)
    waiting, real_lock = threading.Event(), token_renewal._lock

    class Signalling:  # says when a thread is about to wait for the account's refresh lock
        def __init__(self, lock):
            self.lock = lock

        def __enter__(self):
            if self.lock.locked():
                waiting.set()
            return self.lock.__enter__()

        def __exit__(self, *exc):
            return self.lock.__exit__(*exc)

    monkeypatch.setattr(token_renewal, "_lock", lambda model, row_id: Signalling(real_lock(model, row_id)))

    first = Background(lambda: token_in(calendar_app))
    assert hold.arrived.wait(30)  # the first refresh is at Microsoft
    second = Background(lambda: token_in(calendar_app))
    assert waiting.wait(30)  # the second waits for the first's refresh
    hold.release.set()
    first.finish()
    second.finish()
    assert first.result == second.result
    assert renewals(sandbox) == 1


CHILD_TOKEN = """
from sqlalchemy import select
from linktime.calendars import oauth
from linktime.extensions import db
from linktime.models import CalendarConnection
print(oauth.access_token(db.session.scalar(select(CalendarConnection))))
"""
MICROSOFT_TOKEN = "/microsoft/common/oauth2/v2.0/token"


def expire_stored_tokens(app, sandbox) -> None:
    requests.post(f"{sandbox.url}/sandbox/calendars/expire-access-tokens")
    with app.app_context():  # stored as expired, so every process wants a renewal
        connection = db.session.scalar(select(CalendarConnection))
        stale = oauth.Tokens.from_json(connection.secret)
        connection.secret = oauth.Tokens(stale.access_token, stale.refresh_token,
                                         stale.expires_at - timedelta(days=1)).to_json()
        db.session.commit()


def renewals(sandbox) -> int:
    with sandbox.state.lock:
        return len([c for c in sandbox.state.log if c["path"] == MICROSOFT_TOKEN]) - 1  # less the connect's


def finished(process) -> str:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out.strip()


def token_in(app) -> str:
    with app.app_context():
        return oauth.access_token(db.session.scalar(select(CalendarConnection)))


def connection_status(app) -> str:
    with app.app_context():
        return db.session.scalar(select(CalendarConnection.status))


def test_two_processes_renewing_one_outlook_account_send_one_refresh(calendar_app, ada, sandbox, monkeypatch):
    """Forced order: another process's renewal is held at Microsoft; this one, needing a token
    too, waits for it (it never sends the rotating refresh token a second time), and both use
    the one new token. The account stays connected."""
    from tests.helpers import other_process
    from tests.web.test_interleavings import Background

    connect(ada, "microsoft")
    expire_stored_tokens(calendar_app, sandbox)
    hold = sandbox.state.add_fault("hold", seconds=60, method="POST", path=MICROSOFT_TOKEN)
    other = other_process(calendar_app, CHILD_TOKEN)
    assert hold.arrived.wait(60), "the other process did not renew"
    waiting, look_again = threading.Event(), token_renewal.wait_for_other

    def signalled() -> None:
        waiting.set()
        look_again()

    monkeypatch.setattr(token_renewal, "wait_for_other", signalled)
    here = Background(lambda: token_in(calendar_app))
    assert waiting.wait(30), "this process did not wait for the other's renewal"
    hold.release.set()
    theirs = finished(other)
    here.finish()
    assert here.result == theirs
    assert renewals(sandbox) == 1
    assert connection_status(calendar_app) == "connected"


def test_a_refused_renewal_uses_the_token_another_process_stored_meanwhile(calendar_app, ada, sandbox):
    """Forced order: this process's renewal is held at Microsoft past its claim (a stalled
    worker); another process takes the lapsed claim, renews and stores. Microsoft then refuses the
    spent refresh token this one sent: it reads the stored token and uses it, and the healthy
    account is not marked "Needs attention"."""
    from tests.helpers import other_process
    from tests.web.test_interleavings import Background

    connect(ada, "microsoft")
    expire_stored_tokens(calendar_app, sandbox)
    # The held renewal must outlive the other process's start (slow on a busy machine): its total
    # deadline is CALENDAR_TIMEOUT, which is 2 s in these tests.
    calendar_app.config["CALENDAR_TIMEOUT"] = 30
    hold = sandbox.state.add_fault("hold", seconds=60, method="POST", path=MICROSOFT_TOKEN)
    here = Background(lambda: token_in(calendar_app))
    assert hold.arrived.wait(30)
    with calendar_app.app_context():  # as if thirty seconds passed: the claim has lapsed
        db.session.execute(update(CalendarConnection).values(refresh_claimed_until=None))
        db.session.commit()
    theirs = finished(other_process(calendar_app, CHILD_TOKEN))
    hold.release.set()
    here.finish()
    assert here.result == theirs
    assert renewals(sandbox) == 2  # ours was refused: its refresh token had been spent
    assert connection_status(calendar_app) == "connected"
