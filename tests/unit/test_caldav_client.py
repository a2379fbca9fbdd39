"""The CalDAV client against a real CalDAV server (Radicale, started here on loopback)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from linktime.calendars.base import Changed, EventDetails, Person
from linktime.calendars.caldav.client import CalDAVClient, NotCalDAV, Unreachable, WrongPassword
from tests.helpers import RADICALE_PASSWORD as PASSWORD
from tests.helpers import free_port

pytestmark = pytest.mark.same_on_every_database  # no database in these tests (CI runs them on SQLite only)


def put(url: str, name: str, body: str) -> None:
    stored = requests.put(f"{url}/ada/work/{name}.ics", data=body.encode(), auth=("ada", PASSWORD),
                          headers={"Content-Type": "text/calendar; charset=utf-8"})
    assert stored.status_code in (201, 204), stored.text


def event(uid: str, lines: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n{lines.strip()}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


BERLIN = """BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:STANDARD\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
END:DAYLIGHT\r
END:VTIMEZONE\r
"""


def test_discovery_from_the_server_address_finds_the_calendars(radicale):
    calendars = CalDAVClient(radicale, "ada", PASSWORD).discover()
    assert sorted(c.name for c in calendars) == ["Home", "Work"]
    assert all(c.url.startswith(radicale) and c.url.endswith("/") for c in calendars)


def test_busy_times_follow_what_a_host_would_expect(radicale):
    put(radicale, "meeting", event("meeting", "DTSTART:20261124T150000Z\r\nDTEND:20261124T160000Z\r\nSUMMARY:Meeting"))
    put(radicale, "free", event("free", "DTSTART:20261124T170000Z\r\nDTEND:20261124T180000Z\r\nTRANSP:TRANSPARENT"))
    put(radicale, "cancelled", event("cancelled", "DTSTART:20261124T180000Z\r\nDTEND:20261124T190000Z\r\n"
                                                  "STATUS:CANCELLED"))
    put(radicale, "weekly", event("weekly", "DTSTART:20261103T090000Z\r\nDTEND:20261103T093000Z\r\n"
                                            "RRULE:FREQ=WEEKLY;COUNT=10"))
    berlin = event("berlin", "DTSTART;TZID=Europe/Berlin:20261125T100000\r\nDTEND;TZID=Europe/Berlin:20261125T110000")
    put(radicale, "berlin", berlin.replace("BEGIN:VEVENT", BERLIN + "BEGIN:VEVENT"))
    put(radicale, "holiday", event("holiday", "DTSTART;VALUE=DATE:20261126\r\nDTEND;VALUE=DATE:20261127"))
    put(radicale, "declined", event("declined", "DTSTART:20261124T200000Z\r\nDTEND:20261124T210000Z\r\n"
                                                "ORGANIZER:mailto:boss@example.com\r\n"
                                                "ATTENDEE;PARTSTAT=DECLINED:mailto:Ada@Example.com"))
    put(radicale, "tentative", event("tentative", "DTSTART:20261124T210000Z\r\nDTEND:20261124T213000Z\r\n"
                                                  "ATTENDEE;PARTSTAT=TENTATIVE:mailto:ada@example.com"))

    client = CalDAVClient(radicale, "ada", PASSWORD, addresses=("ada@example.com",))
    work = next(c for c in client.discover() if c.name == "Work")
    start, end = datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC)
    busy = [(b.start, b.end) for b in client.busy(work.url, start, end, zone="America/New_York")]
    at = lambda *a: datetime(*a, tzinfo=UTC)
    assert busy == [
        (at(2026, 11, 24, 9), at(2026, 11, 24, 9, 30)),  # the weekly one, this week's occurrence
        (at(2026, 11, 24, 15), at(2026, 11, 24, 16)),  # the meeting; free and cancelled ones do not block
        (at(2026, 11, 24, 21), at(2026, 11, 24, 21, 30)),  # tentative blocks; the one Ada declined does not
        (at(2026, 11, 25, 9), at(2026, 11, 25, 10)),  # 10:00 in Berlin
        (at(2026, 11, 26, 5), at(2026, 11, 27, 5)),  # all day, in the host's New York
    ]


def _details(uid: str, start: datetime) -> EventDetails:
    return EventDetails(uid=uid, sequence=0, summary="Intro: Ada and Bo", start=start,
                        end=start + timedelta(minutes=30), timezone="UTC", location="https://zoom.example/j/1",
                        description="Join: https://zoom.example/j/1", url="https://zoom.example/j/1",
                        organizer=Person("ada@example.com", "Ada"), attendees=(Person("bo@example.com", "Bo"),))


def test_own_events_are_written_moved_and_removed(radicale):
    client = CalDAVClient(radicale, "ada", PASSWORD)
    home = next(c for c in client.discover() if c.name == "Home")
    window = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
    written = client.put_event(home.url, _details("booking-1@linktime", datetime(2026, 12, 1, 10, tzinfo=UTC)))
    assert [b.start.hour for b in client.busy(home.url, *window)] == [10]
    # moved: the same UID, written again over the version we wrote
    moved = client.put_event(home.url, _details("booking-1@linktime", datetime(2026, 12, 1, 14, tzinfo=UTC)), written)
    assert moved != written and [b.start.hour for b in client.busy(home.url, *window)] == [14]
    client.delete_event(home.url, "booking-1@linktime", moved)
    client.delete_event(home.url, "booking-1@linktime", moved)  # already gone: done
    assert client.busy(home.url, *window) == []


def test_a_write_that_arrives_late_never_undoes_a_later_one(radicale):
    """Conditional writes: a create sent again (its answer lost) and a stale move (a runner past
    its lease) are refused by the server (412) and say what the event is now; nothing is undone."""
    client = CalDAVClient(radicale, "ada", PASSWORD)
    home = next(c for c in client.discover() if c.name == "Home")
    window = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
    first = client.put_event(home.url, _details("booking-2@linktime", datetime(2026, 12, 1, 10, tzinfo=UTC)))
    later = client.put_event(home.url, _details("booking-2@linktime", datetime(2026, 12, 1, 14, tzinfo=UTC)), first)
    with pytest.raises(Changed) as create_again:  # If-None-Match: *
        client.put_event(home.url, _details("booking-2@linktime", datetime(2026, 12, 1, 10, tzinfo=UTC)))
    assert create_again.value.remote_id == later
    with pytest.raises(Changed) as stale_move:  # If-Match the version before the move
        client.put_event(home.url, _details("booking-2@linktime", datetime(2026, 12, 1, 9, tzinfo=UTC)), first)
    assert stale_move.value.remote_id == later
    with pytest.raises(Changed):  # a delete against an old version is refused too
        client.delete_event(home.url, "booking-2@linktime", first)
    assert [b.start.hour for b in client.busy(home.url, *window)] == [14]  # still the later write
    client.delete_event(home.url, "booking-2@linktime", later)
    with pytest.raises(Changed) as gone:  # a move of an event deleted since: it is not there
        client.put_event(home.url, _details("booking-2@linktime", datetime(2026, 12, 1, 9, tzinfo=UTC)), later)
    assert gone.value.remote_id is None and client.busy(home.url, *window) == []


def test_each_failure_is_said_in_words_a_host_can_act_on(radicale):
    with pytest.raises(WrongPassword, match="refused this username and password"):
        CalDAVClient(radicale, "ada", "wrong").discover()
    with pytest.raises(Unreachable, match="could not be reached"):
        CalDAVClient(f"http://127.0.0.1:{free_port()}", "ada", PASSWORD, timeout=2).discover()


def test_a_web_server_that_is_not_caldav_is_named_as_such(tmp_path):
    from http.server import HTTPServer, SimpleHTTPRequestHandler
    from threading import Thread

    class Site(SimpleHTTPRequestHandler):  # an ordinary website: no PROPFIND, no DAV
        def __init__(self, *args):
            super().__init__(*args, directory=str(tmp_path))

        def log_message(self, *args):
            pass

    (tmp_path / "index.html").write_text("<html>hello</html>")
    server = HTTPServer(("127.0.0.1", 0), Site)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(NotCalDAV, match="is not a CalDAV server"):
            CalDAVClient(f"http://127.0.0.1:{server.server_port}/", "ada", PASSWORD).discover()
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://0.0.0.0:80/",
                                 "http://224.0.0.1/"])
def test_addresses_no_calendar_server_has_are_refused_before_any_request(url):
    with pytest.raises(NotCalDAV, match="not an address LinkTime connects to"):
        CalDAVClient(url, "ada", "x", timeout=1).discover()


def test_an_unknown_host_name_is_said_plainly():
    with pytest.raises(Unreachable, match="could not be found"):
        CalDAVClient("https://no-such-host.invalid/", "ada", "x", timeout=1).discover()
