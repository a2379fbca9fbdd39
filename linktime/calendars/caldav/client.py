"""CalDAV (RFC 4791, discovery as RFC 6764): the one module that talks to CalDAV servers.

Nextcloud, Fastmail, iCloud and Radicale all speak it. What LinkTime needs of a server:

- which calendars the account has (discovery: the well-known URL, the principal, the calendar
  home, its calendar collections);
- the busy times of a calendar in a window (a calendar-query REPORT; recurring events are
  expanded here, so servers that cannot expand work too);
- its own events written and removed, at ``{calendar}/{uid}.ics``.

Every failure is one of three errors a host can act on: the server cannot be reached, it refused
the username and password, or it is not a CalDAV server. Servers are the user's choice, so their
XML is parsed with defusedxml (no entity expansion) and their answers are bounded in size.
"""
from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

import requests
import urllib3
from defusedxml import DefusedXmlException, ElementTree
from requests.auth import HTTPBasicAuth

from linktime.calendars.base import (
    BusyTime,
    CalendarError,
    Changed,
    EventDetails,
    NotCalDAV,
    RemoteCalendar,
    Unreachable,
    WrongPassword,
)
from linktime.calendars.caldav.addresses import IPNetwork, address_allowed, keeps_credentials
from linktime.calendars.caldav.ical import MAX_EVENTS, MAX_RECURRENCE_STEPS, occurrence, recurrence_cost, span
from linktime.http import DeadlinePassed, bounded_session, deadline, out_of_time, read_body, time_left
from linktime.notifications.ics import event_file

T = TypeVar("T")

DAV, CALDAV = "DAV:", "urn:ietf:params:xml:ns:caldav"
MAX_ANSWER = 20 * 1024 * 1024  # bytes of one answer: a calendar's events in a window, generously


CalDAVError = CalendarError


def _bounded(method: Callable[..., T]) -> Callable[..., T]:
    """One call of the client, within its total time (``timeout``), whatever the server does."""
    @functools.wraps(method)
    def call(self: CalDAVClient, *args: Any, **kwargs: Any) -> T:
        try:
            with deadline(self.timeout):
                return method(self, *args, **kwargs)
        except DeadlinePassed:  # past it between two exchanges (reading a costly answer, say)
            raise Unreachable(f"{urlsplit(self.url).netloc} took too long to answer") from None
    return call


def _tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


PROPFIND = """<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>{props}</d:prop></d:propfind>"""

CALENDAR_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><c:calendar-data/></d:prop>
  <c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">
    <c:time-range start="{start}" end="{end}"/>
  </c:comp-filter></c:comp-filter></c:filter>
</c:calendar-query>"""


class CalDAVClient:
    """One account on one server, reached with a username and an (app) password."""

    def __init__(self, url: str, username: str, password: str, *, timeout: float = 10,
                 session: requests.Session | None = None, addresses: tuple[str, ...] = (),
                 allowed_networks: tuple[IPNetwork, ...] = ()):
        self.url = url if url.endswith("/") else url + "/"
        # Sent as UTF-8 (servers that accept non-Latin-1 passwords expect it; requests would fail).
        self.auth = (username.encode(), password.encode())
        # The host's own addresses: an event they declined as an attendee does not block.
        self.addresses = {a.strip().lower() for a in (username, *addresses) if "@" in a}
        self.timeout = timeout  # the whole of one call: discovery, a reading, a write
        # Each host name is resolved and checked once; every connection goes to that address.
        self.pins: dict[str, str] = {}
        self.http = session or bounded_session(self.pins)
        self.allowed_networks = allowed_networks
        self.warning = ""  # what a reading could not do in full (said to the host)

    # ------------------------------------------------------------------ requests

    def _request(self, method: str, url: str, *, body: str | bytes | None = None,
                 headers: dict[str, Any] | None = None, ok: tuple[int, ...] = (207,)) -> bytes:
        """One request's answer body, redirects followed by hand (PROPFIND must stay PROPFIND),
        errors turned ours."""
        return self._exchange(method, url, body=body, headers=headers, ok=ok)[2]

    def _exchange(self, method: str, url: str, *, body: str | bytes | None = None,
                  headers: dict[str, Any] | None = None, ok: tuple[int, ...] = (207,)) -> tuple[int, str, bytes]:
        """The answer's status, ETag (or "") and body, within the call's deadline."""
        name = urlsplit(url).netloc
        auth: HTTPBasicAuth | None = HTTPBasicAuth(*self.auth) if self.auth else None  # UTF-8, not Latin-1
        try:
            for _ in range(5):
                self._check_address(url)
                response = self.http.request(method, url, data=body, headers=headers or {}, auth=auth,
                                             timeout=time_left(self.timeout), allow_redirects=False, stream=True)
                if response.status_code in (301, 302, 303, 307, 308) and "Location" in response.headers:
                    target = urljoin(url, response.headers["Location"])
                    response.close()
                    auth = auth if keeps_credentials(url, target) else None
                    url = target
                    continue
                break
            else:
                raise NotCalDAV(f"{name} redirected too many times")
            try:
                if response.status_code in (401, 403):
                    raise WrongPassword(f"{name} refused this username and password" if auth else
                                        f"{name} sent LinkTime to {urlsplit(url).netloc}, which asked for a password: "
                                        "use that address as the server's address")
                content = read_body(response, MAX_ANSWER)
            finally:
                response.close()
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            if isinstance(exc, DeadlinePassed) or out_of_time():  # cut off at the deadline
                raise Unreachable(f"{name} took too long to answer") from None
            raise Unreachable(f"{name} could not be reached ({type(exc).__name__})") from None
        if len(content) > MAX_ANSWER:
            raise NotCalDAV(f"{name} answered with more than {MAX_ANSWER // 2**20} MB")
        if response.status_code not in ok:
            if response.status_code in (429, 500, 502, 503, 504):  # busy or down for now
                raise Unreachable(f"{name} could not answer now (HTTP {response.status_code})")
            raise NotCalDAV(f"{name} is not a CalDAV server (it answered {response.status_code} to {method})")
        return response.status_code, response.headers.get("ETag", ""), content

    def _check_address(self, url: str) -> None:
        """Refuse addresses no calendar server has — link-local, multicast, unspecified, and the
        cloud metadata services — and, when the operator set CALDAV_ALLOWED_NETWORKS, anything
        outside them. Servers on this machine or the local network are allowed otherwise:
        self-hosted calendars often are (see the README's Security section). The name is resolved
        once: connections go to the address checked here, never to a second answer."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise NotCalDAV(f"{parts.netloc} is not an address LinkTime connects to")
        host = (parts.hostname or "").lower()
        if host in self.pins:
            return
        try:
            found = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
            addresses = [str(info[4][0]) for info in found]
        except (OSError, UnicodeError, ValueError):
            raise Unreachable(f"{host} could not be found") from None
        for address in addresses:
            if not address_allowed(ipaddress.ip_address(address.split("%", 1)[0]), self.allowed_networks):
                raise NotCalDAV(f"{host} is not an address LinkTime connects to")
        if not addresses:
            raise Unreachable(f"{host} could not be found")
        self.pins[host] = addresses[0]

    def _multistatus(self, method: str, url: str, body: str, depth: str) -> list[tuple[str, Element]]:
        """(href, propstat element with status 200) for each response of a 207 Multi-Status."""
        content = self._request(method, url, body=body.encode(),
                                headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"})
        try:
            root = ElementTree.fromstring(content)
        except (ElementTree.ParseError, DefusedXmlException):
            raise NotCalDAV(
                f"{urlsplit(url).netloc} is not a CalDAV server (its answer is not XML LinkTime reads)"
            ) from None
        found = []
        for item in root.iter(_tag(DAV, "response")):
            href = item.findtext(_tag(DAV, "href"), default="").strip()
            for propstat in item.iter(_tag(DAV, "propstat")):
                if " 200 " in (propstat.findtext(_tag(DAV, "status"), default="") + " "):
                    found.append((urljoin(url, href), propstat.find(_tag(DAV, "prop"))))
        return found

    def _href_of(self, url: str, namespace: str, name: str) -> str | None:
        props = PROPFIND.format(props=f'<{"d" if namespace == DAV else "c"}:{name}/>')
        for _, prop in self._multistatus("PROPFIND", url, props, "0"):
            href = prop.find(f"{_tag(namespace, name)}/{_tag(DAV, 'href')}")
            if href is not None and href.text:
                return urljoin(url, href.text.strip())
        return None

    # ------------------------------------------------------------------ discovery

    @_bounded
    def discover(self) -> list[RemoteCalendar]:
        """The account's calendars that hold events."""
        try:
            principal = self._href_of(self.url, DAV, "current-user-principal")
        except NotCalDAV:
            principal = None
        if principal is None:  # a bare server address: ask where CalDAV lives (RFC 6764)
            principal = self._href_of(urljoin(self.url, "/.well-known/caldav"), DAV, "current-user-principal")
        if principal is None:
            raise NotCalDAV(f"{urlsplit(self.url).netloc} is not a CalDAV server (no principal)")
        home = self._href_of(principal, CALDAV, "calendar-home-set")
        if home is None:
            raise NotCalDAV(f"{urlsplit(self.url).netloc} has no calendars for this account")
        props = "<d:resourcetype/><d:displayname/><c:supported-calendar-component-set/>"
        calendars = []
        for href, prop in self._multistatus("PROPFIND", home, PROPFIND.format(props=props), "1"):
            kind = prop.find(_tag(DAV, "resourcetype"))
            if kind is None or kind.find(_tag(CALDAV, "calendar")) is None:
                continue
            components = prop.find(_tag(CALDAV, "supported-calendar-component-set"))
            if components is not None and len(components) and not any(
                    c.get("name") == "VEVENT" for c in components):
                continue
            name = (prop.findtext(_tag(DAV, "displayname")) or "").strip() or urlsplit(href).path.rstrip("/").rsplit(
                "/", 1
            )[-1]
            calendars.append(RemoteCalendar(url=href if href.endswith("/") else href + "/", name=name))
        return calendars

    # ------------------------------------------------------------------ busy times

    @_bounded
    def busy(self, calendar_url: str, start: datetime, end: datetime, *, zone: str = "UTC") -> list[BusyTime]:
        """What blocks [start, end): events not marked free (TRANSP:TRANSPARENT) nor cancelled,
        recurring ones expanded; all-day and floating times are read in ``zone`` (the host's).

        The work is bounded whatever the calendar holds: at most MAX_EVENTS events are read, and
        recurrences are expanded within a budget of steps (a rule repeating every second since
        2025 would take hours). What is not read or expanded counts as busy — the whole window, or
        the event's span in it — and ``self.warning`` says so, for the host."""
        import recurring_ical_events
        from icalendar import Calendar

        stamp = "%Y%m%dT%H%M%SZ"
        body = CALENDAR_QUERY.format(start=start.astimezone(UTC).strftime(stamp),
                                     end=end.astimezone(UTC).strftime(stamp))
        tz = ZoneInfo(zone)
        busy: list[BusyTime] = []
        steps = MAX_RECURRENCE_STEPS
        found = self._multistatus("REPORT", calendar_url, body, "1")
        if len(found) > MAX_EVENTS:
            self.warning = (f"a calendar holds more than {MAX_EVENTS} events in a few weeks; LinkTime counts "
                            "those weeks as busy")
            return [BusyTime(start, end)]
        for _, prop in found:
            time_left(1.0)  # a call past its deadline stops here too
            data = prop.findtext(_tag(CALDAV, "calendar-data"))
            if not data:
                continue
            try:
                calendar = Calendar.from_ical(data)
                events = calendar.walk("VEVENT")
                cost = sum(recurrence_cost(event, end) for event in events)
                if cost > steps:  # too dear to expand: its span in the window is busy
                    spans = [span(event, tz, start, end) for event in events if _blocks(event, self)]
                    busy += [span for span in spans if span is not None]
                    self.warning = ("an event repeats too often for LinkTime to read (more than every few "
                                    "minutes); its times are counted as busy")
                    continue
                steps -= cost
                occurrences = recurring_ical_events.of(calendar).between(start, end)
            except DeadlinePassed:
                raise
            except Exception:  # noqa: BLE001 - one unreadable event does not hide the others
                continue
            busy += [when for event in occurrences if _blocks(event, self)
                     and (when := occurrence(event, tz, start, end)) is not None]
        return sorted(busy, key=lambda b: (b.start, b.end))

    def _declined(self, event: Any) -> bool:
        attendees = event.get("ATTENDEE", [])
        for attendee in attendees if isinstance(attendees, list) else [attendees]:
            address = str(attendee).lower().removeprefix("mailto:")
            if address in self.addresses and str(attendee.params.get("PARTSTAT", "")).upper() == "DECLINED":
                return True
        return False

    # ------------------------------------------------------------------ LinkTime's own events

    @_bounded
    def put_event(self, calendar_url: str, details: EventDetails, remote_id: str | None = None) -> str:
        """Write the event for a booking (a VCALENDAR without METHOD) at its UID: created only if
        it is not there (``If-None-Match: *``), replaced only if it is as we last wrote it
        (``If-Match``), so a write that reaches the server late never undoes a later one. Returns
        ``<url> <etag>``; a failed precondition raises ``Changed`` with what the event is now."""
        url = self._event_url(calendar_url, details.uid)
        etag = _etag_of(remote_id)
        condition = {"If-Match": etag} if etag else {"If-None-Match": "*"}
        status, new_etag, _ = self._exchange("PUT", url, body=event_file(details), ok=(200, 201, 204, 412),
                                             headers={"Content-Type": "text/calendar; charset=utf-8", **condition})
        if status == 412:
            raise Changed("the event changed in the calendar since LinkTime wrote it", remote_id=self._now(url))
        return f"{url} {new_etag or self._current_etag(url) or ''}".strip()

    @_bounded
    def delete_event(self, calendar_url: str, uid: str, remote_id: str | None = None) -> None:
        """Remove it if it is as we last wrote it (any version, when a create's answer was lost);
        already gone is done."""
        url = self._event_url(calendar_url, uid)
        etag = _etag_of(remote_id)
        status, _, _ = self._exchange("DELETE", url, headers={"If-Match": etag} if etag else {},
                                      ok=(200, 204, 404, 410, 412))
        if status == 412:
            raise Changed("the event changed in the calendar since LinkTime wrote it", remote_id=self._now(url))

    def _current_etag(self, url: str) -> str | None:
        """The event's ETag now, or None when it is not there."""
        status, _, content = self._exchange("PROPFIND", url, body=PROPFIND.format(props="<d:getetag/>").encode(),
                                            headers={"Depth": "0", "Content-Type": "application/xml; charset=utf-8"},
                                            ok=(207, 404, 410))
        if status != 207:
            return None
        try:
            found = ElementTree.fromstring(content).findtext(f".//{_tag(DAV, 'getetag')}")
        except (ElementTree.ParseError, DefusedXmlException):
            return None
        return found.strip() if found else None

    def _now(self, url: str) -> str | None:
        etag = self._current_etag(url)
        return f"{url} {etag}" if etag else None

    @staticmethod
    def _event_url(calendar_url: str, uid: str) -> str:
        safe = "".join(c if c.isalnum() or c in "-_.@" else "-" for c in uid)
        return urljoin(calendar_url if calendar_url.endswith("/") else calendar_url + "/", f"{safe}.ics")


def _etag_of(remote_id: str | None) -> str | None:
    """The ETag kept with an event's address (``<url> <etag>``); None when none is known."""
    parts = (remote_id or "").split(" ", 1)
    return parts[1] if len(parts) == 2 and parts[1] else None


def _blocks(event: Any, client: CalDAVClient) -> bool:
    """Whether an occurrence keeps the host busy: not free, not cancelled, not declined by them."""
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        return False
    return str(event.get("STATUS", "")).upper() != "CANCELLED" and not client._declined(event)


