"""The only code that talks to Google Calendar (API v3): calendars, free/busy, LinkTime's events.

Busy times come from the freeBusy endpoint, which already leaves out free ("transparent") and
declined events and shows nothing but times. Events are created with an id chosen by LinkTime
(the booking's invite UID in base32hex), so a create whose answer was lost and is sent again
answers 409 and is then updated instead: one booking never makes two events.
"""
from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from linktime.calendars.base import BusyTime, CalendarError, EventDetails, NotFound, RemoteCalendar
from linktime.calendars.rest import Conflict, RestClient

WRITABLE = ("owner", "writer")


def event_id(uid: str) -> str:
    """Google's event id for a UID: base32hex (a–v, 0–9), as its API asks."""
    return base64.b32hexencode(uid.encode()).decode().lower().rstrip("=")


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def event_body(details: EventDetails) -> dict[str, Any]:
    def when(moment: datetime) -> dict[str, str]:
        return {"dateTime": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"), "timeZone": details.timezone}

    return {
        "summary": details.summary, "description": details.description, "location": details.location,
        "start": when(details.start), "end": when(details.end), "iCalUID": details.uid,
        "attendees": [{"email": person.email, "displayName": person.name}
                      for person in (details.organizer, *details.attendees)],
        "source": {"title": "LinkTime", "url": details.url},
        "reminders": {"useDefault": True},
    }


class GoogleCalendar(RestClient):
    label = "Google Calendar"

    def rate_limited(self, status: int, data: dict[str, Any]) -> bool:
        reasons = {str(e.get("reason")) for e in (data.get("error") or {}).get("errors", []) if isinstance(e, dict)} \
            if isinstance(data.get("error"), dict) else set()
        return status == 429 or (status == 403 and bool(reasons & {"rateLimitExceeded", "userRateLimitExceeded"}))

    def email(self) -> str:
        primary = self.call("GET", "/calendar/v3/users/me/calendarList/primary")
        return str(primary.get("id") or "")

    def calendars(self) -> list[RemoteCalendar]:
        """The calendars the account can write to (its own and shared ones), primary first."""
        found, page = [], None
        for _ in range(10):
            data = self.call("GET", "/calendar/v3/users/me/calendarList",
                             params={"minAccessRole": "writer", **({"pageToken": page} if page else {})})
            for item in data.get("items", []):
                if isinstance(item, dict) and item.get("accessRole") in WRITABLE and item.get("id"):
                    name = str(item.get("summaryOverride") or item.get("summary") or item["id"])
                    found.append((not item.get("primary"), RemoteCalendar(url=str(item["id"]), name=name[:200])))
            page = data.get("nextPageToken")
            if not page:
                break
        return [calendar for _, calendar in sorted(found, key=lambda pair: pair[0])]

    def busy(self, calendar_id: str, start: datetime, end: datetime, *, zone: str = "UTC") -> list[BusyTime]:
        data = self.call("POST", "/calendar/v3/freeBusy", json={
            "timeMin": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "timeMax": end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "items": [{"id": calendar_id}]})
        answer = (data.get("calendars") or {}).get(calendar_id) or {}
        if answer.get("errors"):
            reason = answer["errors"][0].get("reason", "") if isinstance(answer["errors"][0], dict) else ""
            raise CalendarError(f"Google Calendar could not give this calendar's busy times ({reason})")
        busy = []
        for item in answer.get("busy", []):
            try:
                busy.append(BusyTime(_instant(item["start"]), _instant(item["end"])))
            except (KeyError, TypeError, ValueError):
                continue
        return sorted(busy, key=lambda b: (b.start, b.end))

    def _events(self, calendar_id: str) -> str:
        return f"/calendar/v3/calendars/{quote(calendar_id, safe='')}/events"

    def put_event(self, calendar_id: str, details: EventDetails, remote_id: str | None = None) -> str:
        """Create the event under LinkTime's id, or update it where it exists."""
        identifier = remote_id or event_id(details.uid)
        body = event_body(details)
        if remote_id is None:
            try:
                self.call("POST", self._events(calendar_id), params={"sendUpdates": "none"},
                          json={**body, "id": identifier}, ok=(200,))
                return identifier
            except Conflict:  # an earlier create made it (its answer was lost): update it
                pass
        try:
            self.call("PATCH", f"{self._events(calendar_id)}/{identifier}", params={"sendUpdates": "none"},
                      json={**body, "status": "confirmed"}, ok=(200,))
        except NotFound:  # deleted in the calendar meanwhile: made again
            self.call("POST", self._events(calendar_id), params={"sendUpdates": "none"},
                      json={**body, "id": identifier}, ok=(200,))
        return identifier

    def delete_event(self, calendar_id: str, uid: str, remote_id: str | None = None) -> None:
        try:
            self.call("DELETE", f"{self._events(calendar_id)}/{remote_id or event_id(uid)}",
                      params={"sendUpdates": "none"}, ok=(200, 204))
        except NotFound:
            pass  # already gone: done

    # ------------------------------------------------------------------ Meet, through conference data

    def conference_event(self, calendar_id: str, identifier: str, body: dict[str, Any],
                         request_id: str) -> dict[str, Any]:
        """Create the event with a Meet conference, keyed by ``request_id`` (the same key never
        makes a second conference); an event already made under ``identifier`` is returned as it is."""
        try:
            return self.call("POST", self._events(calendar_id), ok=(200,),
                             params={"conferenceDataVersion": "1", "sendUpdates": "none"},
                             json={**body, "id": identifier, "conferenceData": {"createRequest": {
                                 "requestId": request_id, "conferenceSolutionKey": {"type": "hangoutsMeet"}}}})
        except Conflict:  # made by an earlier create whose answer was lost
            return self.event(calendar_id, identifier)

    def event(self, calendar_id: str, identifier: str) -> dict[str, Any]:
        return self.call("GET", f"{self._events(calendar_id)}/{identifier}", ok=(200,))

    def patch(self, calendar_id: str, identifier: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.call("PATCH", f"{self._events(calendar_id)}/{identifier}", ok=(200,),
                         params={"conferenceDataVersion": "1", "sendUpdates": "none"}, json=body)


def meet_of(event: dict[str, Any]) -> tuple[str | None, str]:
    """An event's Meet link (once made) and its conference's state: "success", "pending", "failure" or ""."""
    conference = event.get("conferenceData") or {}
    status = str(((conference.get("createRequest") or {}).get("status") or {}).get("statusCode") or "")
    link = event.get("hangoutLink") or next(
        (point.get("uri") for point in conference.get("entryPoints", [])
         if isinstance(point, dict) and point.get("entryPointType") == "video"), None)
    if link and not status:
        status = "success"
    return (str(link) if link else None), status
