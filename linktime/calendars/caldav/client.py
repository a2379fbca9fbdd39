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

import ipaddress
import socket
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import requests
from defusedxml import ElementTree

from linktime.calendars.base import (
    BusyTime, CalendarError, Changed, EventDetails, NotCalDAV, RemoteCalendar, Unreachable, WrongPassword,
)

DAV, CALDAV = "DAV:", "urn:ietf:params:xml:ns:caldav"
MAX_ANSWER = 20 * 1024 * 1024  # bytes of one answer: a calendar's events in a window, generously


CalDAVError = CalendarError


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
                 session: requests.Session | None = None, addresses: tuple[str, ...] = ()):
        self.url = url if url.endswith("/") else url + "/"
        self.auth = (username, password)
        # The host's own addresses: an event they declined as an attendee does not block.
        self.addresses = {a.strip().lower() for a in (username, *addresses) if "@" in a}
        self.timeout = timeout
        self.http = session or requests.Session()
        self.checked: set[str] = set()  # host names whose addresses were checked

    # ------------------------------------------------------------------ requests

    def _request(self, method: str, url: str, *, body: str | bytes | None = None,
                 headers: dict | None = None, ok: tuple[int, ...] = (207,)) -> bytes:
        """One request's answer body, redirects followed by hand (PROPFIND must stay PROPFIND),
        errors turned ours."""
        return self._exchange(method, url, body=body, headers=headers, ok=ok)[2]

    def _exchange(self, method: str, url: str, *, body: str | bytes | None = None,
                  headers: dict | None = None, ok: tuple[int, ...] = (207,)) -> tuple[int, str, bytes]:
        """The answer's status, ETag (or "") and body."""
        for _ in range(5):
            self._check_address(url)
            try:
                response = self.http.request(method, url, data=body, headers=headers or {}, auth=self.auth,
                                             timeout=self.timeout, allow_redirects=False, stream=True)
            except requests.RequestException as exc:
                raise Unreachable(f"{urlsplit(url).netloc} could not be reached ({type(exc).__name__})") from None
            if response.status_code in (301, 302, 303, 307, 308) and "Location" in response.headers:
                url = urljoin(url, response.headers["Location"])
                response.close()
                continue
            break
        else:
            raise NotCalDAV(f"{urlsplit(url).netloc} redirected too many times")
        if response.status_code in (401, 403):
            response.close()
            raise WrongPassword(f"{urlsplit(url).netloc} refused this username and password")
        content = response.raw.read(MAX_ANSWER + 1, decode_content=True)
        response.close()
        if len(content) > MAX_ANSWER:
            raise NotCalDAV(f"{urlsplit(url).netloc} answered with more than {MAX_ANSWER // 2**20} MB")
        if response.status_code not in ok:
            if response.status_code in (429, 500, 502, 503, 504):  # busy or down for now
                raise Unreachable(f"{urlsplit(url).netloc} could not answer now (HTTP {response.status_code})")
            raise NotCalDAV(f"{urlsplit(url).netloc} is not a CalDAV server "
                            f"(it answered {response.status_code} to {method})")
        return response.status_code, response.headers.get("ETag", ""), content

    def _check_address(self, url: str) -> None:
        """Refuse addresses no calendar server has: link-local (cloud metadata services live
        there), multicast, unspecified. Servers on this machine or the local network are allowed:
        self-hosted calendars often are (see the README's Security section)."""
        host = urlsplit(url).hostname or ""
        if host in self.checked:
            return
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
        except (OSError, UnicodeError):
            raise Unreachable(f"{host} could not be found") from None
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
                raise NotCalDAV(f"{host} is not an address LinkTime connects to")
        self.checked.add(host)

    def _multistatus(self, method: str, url: str, body: str, depth: str) -> list[tuple[str, object]]:
        """(href, propstat element with status 200) for each response of a 207 Multi-Status."""
        content = self._request(method, url, body=body.encode(),
                                headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"})
        try:
            root = ElementTree.fromstring(content)
        except ElementTree.ParseError:
            raise NotCalDAV(f"{urlsplit(url).netloc} is not a CalDAV server (its answer is not XML)") from None
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
            name = (prop.findtext(_tag(DAV, "displayname")) or "").strip() or urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1]
            calendars.append(RemoteCalendar(url=href if href.endswith("/") else href + "/", name=name))
        return calendars

    # ------------------------------------------------------------------ busy times

    def busy(self, calendar_url: str, start: datetime, end: datetime, *, zone: str = "UTC") -> list[BusyTime]:
        """What blocks [start, end): events not marked free (TRANSP:TRANSPARENT) nor cancelled,
        recurring ones expanded; all-day and floating times are read in ``zone`` (the host's)."""
        import recurring_ical_events
        from icalendar import Calendar

        stamp = "%Y%m%dT%H%M%SZ"
        body = CALENDAR_QUERY.format(start=start.astimezone(UTC).strftime(stamp),
                                     end=end.astimezone(UTC).strftime(stamp))
        tz = ZoneInfo(zone)
        busy = []
        for _, prop in self._multistatus("REPORT", calendar_url, body, "1"):
            data = prop.findtext(_tag(CALDAV, "calendar-data"))
            if not data:
                continue
            try:
                calendar = Calendar.from_ical(data)
                occurrences = recurring_ical_events.of(calendar).between(start, end)
            except Exception:  # one unreadable event does not hide the others
                continue
            for event in occurrences:
                if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
                    continue
                if str(event.get("STATUS", "")).upper() == "CANCELLED" or self._declined(event):
                    continue
                begins, ends = _instant(event.get("DTSTART"), tz), _instant(event.get("DTEND"), tz)
                if begins is None:
                    continue
                if ends is None:
                    duration = event.get("DURATION")
                    ends = begins + (duration.dt if duration is not None else
                                     timedelta(days=1) if _is_date(event.get("DTSTART")) else timedelta(0))
                if ends > start and begins < end:
                    busy.append(BusyTime(begins, ends))
        return sorted(busy, key=lambda b: (b.start, b.end))

    def _declined(self, event) -> bool:
        attendees = event.get("ATTENDEE", [])
        for attendee in attendees if isinstance(attendees, list) else [attendees]:
            address = str(attendee).lower().removeprefix("mailto:")
            if address in self.addresses and str(attendee.params.get("PARTSTAT", "")).upper() == "DECLINED":
                return True
        return False

    # ------------------------------------------------------------------ LinkTime's own events

    def put_event(self, calendar_url: str, details: EventDetails, remote_id: str | None = None) -> str:
        """Write the event for a booking (a VCALENDAR without METHOD) at its UID: created only if
        it is not there (``If-None-Match: *``), replaced only if it is as we last wrote it
        (``If-Match``), so a write that reaches the server late never undoes a later one. Returns
        ``<url> <etag>``; a failed precondition raises ``Changed`` with what the event is now."""
        from linktime.notifications.ics import event_file

        url = self._event_url(calendar_url, details.uid)
        etag = _etag_of(remote_id)
        condition = {"If-Match": etag} if etag else {"If-None-Match": "*"}
        status, new_etag, _ = self._exchange("PUT", url, body=event_file(details), ok=(200, 201, 204, 412),
                                             headers={"Content-Type": "text/calendar; charset=utf-8", **condition})
        if status == 412:
            raise Changed("the event changed in the calendar since LinkTime wrote it", remote_id=self._now(url))
        return f"{url} {new_etag or self._current_etag(url) or ''}".strip()

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
        except ElementTree.ParseError:
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


def _is_date(prop) -> bool:
    return prop is not None and isinstance(prop.dt, date) and not isinstance(prop.dt, datetime)


def _instant(prop, zone: ZoneInfo) -> datetime | None:
    if prop is None:
        return None
    value = prop.dt
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(value, date):  # an all-day event: the whole local day of the host
        return datetime.combine(value, time(0), zone).astimezone(UTC)
    return None
