"""Every provider client against a server built to hurt it: each call ends by its deadline, costs a
bounded amount, and fails in words a host can act on — never by hanging, growing or a 500."""
from __future__ import annotations

import base64
import ipaddress
import socket
from datetime import UTC, datetime

import pytest

from linktime.calendars.caldav.addresses import address_allowed, keeps_credentials
from linktime.calendars.caldav.client import (
    CalDAVClient,
    NotCalDAV,
    Unreachable,
    WrongPassword,
)
from tests.hostile import (
    HostileServer,
    answer,
    calendar_answer,
    cut_chunked,
    discovery,
    multistatus,
    prop,
)

pytestmark = pytest.mark.same_on_every_database  # no database in these tests (CI runs them on SQLite only)

WINDOW = (datetime(2026, 12, 14, tzinfo=UTC), datetime(2026, 12, 21, tzinfo=UTC))


@pytest.fixture
def hostile():
    server = HostileServer()
    yield server
    server.close()


def client(server: HostileServer, timeout: float = 1.0, password: str = "secret") -> CalDAVClient:
    return CalDAVClient(server.url + "/", "ada", password, timeout=timeout)


def test_a_server_that_drips_its_headers_is_cut_off_at_the_deadline(hostile):
    hostile.routes["/"] = hostile.drip()  # a byte every 50 ms: no read ever times out
    with pytest.raises(Unreachable, match="took too long to answer"):
        client(hostile).discover()
    assert hostile.drip_ended.wait(10) and hostile.drips_ended == ["hung up"]  # LinkTime let go, not the server


def test_a_server_that_drips_its_body_is_cut_off_at_the_deadline(hostile):
    hostile.routes["/"] = hostile.drip(b"HTTP/1.1 207 Multi-Status\r\nContent-Length: 1000000000\r\n\r\n")
    with pytest.raises(Unreachable, match="took too long to answer"):
        client(hostile).discover()
    assert hostile.drip_ended.wait(10) and hostile.drips_ended == ["hung up"]


def test_an_endless_answer_stops_at_its_size_cap_or_deadline(hostile):
    hostile.routes["/"] = hostile.endless()
    with pytest.raises((NotCalDAV, Unreachable), match=r"more than 20 MB|took too long"):
        client(hostile, timeout=5).discover()


@pytest.mark.parametrize("xml", [
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<d:multistatus xmlns:d="DAV:"><d:response><d:href>&x;</d:href></d:response></d:multistatus>',
    '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><d:multistatus xmlns:d="DAV:">&c;</d:multistatus>',
], ids=["xxe", "billion-laughs"])
def test_xml_bombs_are_refused_as_unreadable(hostile, xml):
    hostile.routes["/"] = answer("207 Multi-Status", xml)
    hostile.routes["/.well-known/caldav"] = answer("207 Multi-Status", xml)
    with pytest.raises(NotCalDAV, match="not XML LinkTime reads"):
        client(hostile).discover()


def test_a_body_cut_short_is_a_server_that_could_not_be_reached(hostile):
    hostile.routes["/"] = cut_chunked
    with pytest.raises(Unreachable, match="could not be reached"):
        client(hostile).discover()


def test_a_password_outside_latin_1_is_sent_as_utf_8(hostile):
    hostile.routes["/"] = answer("401 Unauthorized")
    with pytest.raises(WrongPassword):
        client(hostile, password="пароль-123").discover()
    sent = hostile.received[0].headers["authorization"].removeprefix("Basic ")
    assert base64.b64decode(sent).decode() == "ada:пароль-123"


def test_credentials_never_follow_a_redirect_to_another_site(hostile):
    elsewhere = HostileServer()
    try:
        elsewhere.routes["/"] = answer("401 Unauthorized")
        # the same machine, but another origin: "localhost" and another port
        hostile.routes["/"] = answer("301 Moved Permanently", headers={"Location": f"http://localhost:{elsewhere.port}/dav/"})
        with pytest.raises(WrongPassword, match="asked for a password"):
            client(hostile).discover()
        assert "authorization" in hostile.received[0].headers
        assert elsewhere.received and all("authorization" not in r.headers for r in elsewhere.received)
    finally:
        elsewhere.close()


@pytest.mark.parametrize("source, target, keeps", [
    ("https://cal.example.com/dav/", "https://cal.example.com/other/", True),
    ("https://caldav.icloud.com/", "https://p42-caldav.icloud.com/123/", True),
    ("https://cal.example.com/", "http://cal.example.com/", False),  # downgraded to http
    ("https://cal.example.com/", "https://evil.example.net/", False),
    ("https://cal.example.co.uk/", "https://evil.co.uk/", False),
    ("http://127.0.0.1:5232/", "http://127.0.0.1:5233/", False),
])
def test_which_redirects_keep_the_credentials(source, target, keeps):
    assert keeps_credentials(source, target) is keeps


@pytest.mark.parametrize("address", ["fd00:ec2::254", "100.100.100.200", "168.63.129.16", "169.254.169.254",
                                     "::ffff:169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1"])
def test_metadata_and_other_unusable_addresses_are_refused(address):
    assert not address_allowed(ipaddress.ip_address(address))


def test_an_operator_allowlist_keeps_calendars_within_its_networks(hostile):
    assert address_allowed(ipaddress.ip_address("10.1.2.3"), (ipaddress.ip_network("10.0.0.0/8"),))
    outside = CalDAVClient(hostile.url + "/", "ada", "x", timeout=1,
                           allowed_networks=(ipaddress.ip_network("10.0.0.0/8"),))
    with pytest.raises(NotCalDAV, match="not an address LinkTime connects to"):
        outside.discover()
    assert hostile.received == []  # refused before any request


def test_a_name_is_resolved_once_and_every_connection_goes_to_that_address(hostile, monkeypatch):
    """DNS rebinding: the name answers the server's address when checked, then a metadata
    address. Every request still reaches the checked address."""
    discovery(hostile)
    real = socket.getaddrinfo
    asked = []

    def rebinding(host, *args, **kwargs):
        if host != "calendar.test":
            return real(host, *args, **kwargs)
        asked.append(host)
        address = "127.0.0.1" if len(asked) == 1 else "169.254.169.254"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, hostile.port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    calendars = CalDAVClient(f"http://calendar.test:{hostile.port}/", "ada", "x", timeout=2).discover()
    assert [c.name for c in calendars] == ["Cal"] and asked == ["calendar.test"]
    assert len(hostile.received) == 3 and all(r.headers["host"] == f"calendar.test:{hostile.port}"
                                              for r in hostile.received)


def _event(lines: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:bomb\r\n"
            f"DTSTAMP:20261101T000000Z\r\n{lines}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=MINUTELY", "FREQ=DAILY;BYHOUR=1,2,3,4,5,6,7,8;BYMINUTE="
                                  + ",".join(str(m) for m in range(60))])
def test_a_recurrence_too_dear_to_expand_counts_as_busy_and_is_told(hostile, rule):
    hostile.routes["/cal/"] = calendar_answer(_event(
        f"DTSTART:20250101T000000Z\r\nDTEND:20250101T000010Z\r\nRRULE:{rule}"))
    reader = client(hostile, timeout=5)
    busy = reader.busy(hostile.url + "/cal/", *WINDOW)
    assert [(b.start, b.end) for b in busy] == [WINDOW]  # the whole window: it may fall anywhere in it
    assert "repeats too often" in reader.warning


def test_an_ordinary_recurrence_is_still_expanded(hostile):
    hostile.routes["/cal/"] = calendar_answer(_event(
        "DTSTART:20260105T090000Z\r\nDTEND:20260105T093000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE"))
    reader = client(hostile)
    busy = reader.busy(hostile.url + "/cal/", *WINDOW)
    assert [b.start for b in busy] == [datetime(2026, 12, 14, 9, tzinfo=UTC), datetime(2026, 12, 16, 9, tzinfo=UTC)]
    assert reader.warning == ""


def test_too_many_events_in_one_answer_count_the_window_as_busy(hostile):
    one = _event("DTSTART:20261215T090000Z\r\nDTEND:20261215T093000Z")
    hostile.routes["/cal/"] = answer("207 Multi-Status", multistatus(*(
        prop(f"/cal/{n}.ics", f"<c:calendar-data>{one}</c:calendar-data>") for n in range(2001))))
    reader = client(hostile, timeout=10)
    assert [(b.start, b.end) for b in reader.busy(hostile.url + "/cal/", *WINDOW)] == [WINDOW]
    assert "more than 2000 events" in reader.warning


def test_a_recurrence_with_an_end_is_busy_only_until_then(hostile):
    hostile.routes["/cal/"] = calendar_answer(_event(
        "DTSTART:20250101T000000Z\r\nDTEND:20250101T000010Z\r\nRRULE:FREQ=SECONDLY;UNTIL=20261215T000000Z"))
    busy = client(hostile, timeout=5).busy(hostile.url + "/cal/", *WINDOW)
    assert [(b.start, b.end) for b in busy] == [(WINDOW[0], datetime(2026, 12, 16, tzinfo=UTC))]


@pytest.mark.parametrize("make", ["google", "microsoft"])
def test_google_and_microsoft_calls_end_by_their_deadline_too(hostile, make):
    from linktime.calendars.google.client import GoogleCalendar
    from linktime.calendars.microsoft.client import OutlookCalendar

    hostile.routes["/"] = hostile.drip(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    reader = (GoogleCalendar if make == "google" else OutlookCalendar)(hostile.url, "token", timeout=1)
    with pytest.raises(Unreachable, match="took too long to answer"):
        reader.busy("primary", *WINDOW)
    assert hostile.drip_ended.wait(10) and hostile.drips_ended == ["hung up"]


def test_a_zoom_call_ends_by_its_deadline_and_may_have_acted(hostile):
    from linktime.conferencing.zoom.client import ZoomAPI, ZoomSettings, ZoomUnavailable

    hostile.routes["/"] = hostile.drip(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n")
    api = ZoomAPI(ZoomSettings("id", "secret", hostile.url, hostile.url, "http://x/cb", timeout=1), "token")
    with pytest.raises(ZoomUnavailable) as raised:
        api.create_meeting({"topic": "x"})
    assert raised.value.uncertain  # the create may have been made: it is looked for before another
    assert hostile.drip_ended.wait(10) and hostile.drips_ended == ["hung up"]


def test_renewing_a_zoom_token_ends_by_its_deadline_too(hostile):
    from linktime.conferencing.zoom.client import ZoomOAuth, ZoomSettings, ZoomUnavailable

    hostile.routes["/"] = hostile.drip(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    oauth = ZoomOAuth(ZoomSettings("id", "secret", hostile.url, hostile.url, "http://x/cb", timeout=1))
    with pytest.raises(ZoomUnavailable):
        oauth.refresh("refresh-token")
    assert hostile.drip_ended.wait(10) and hostile.drips_ended == ["hung up"]
