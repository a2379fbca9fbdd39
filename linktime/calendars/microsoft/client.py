"""The only code that talks to Outlook calendars (Microsoft Graph v1.0).

Busy times come from calendarView (times in UTC by ``Prefer: outlook.timezone="UTC"``), without
events shown as free or working elsewhere and without cancelled ones. Events are created with a
``transactionId`` chosen by LinkTime (the booking's invite UID): a create sent again returns the
event the first one made, so one booking never makes two events; that event is corrected if the
booking changed since (Graph answers with it as it was first made).

Events carry no attendees: Exchange mails every attendee its own meeting request, update and
cancellation, under a UID other than our invitation's, so the invitee would hold the booking twice.
They are named in the event's text instead.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from linktime.calendars.base import BusyTime, EventDetails, NotFound, RemoteCalendar
from linktime.calendars.rest import RestClient
from linktime.http import deadline

FREE = {"free", "workingelsewhere"}
MAX_PAGES = 20  # of 250 events each: a month of a very busy calendar
UTC_TIMES = {"Prefer": 'outlook.timezone="UTC"'}


def _instant(value: dict[str, Any]) -> datetime:
    text = str(value["dateTime"])[:26]  # Graph gives 7 decimals; Python reads up to 6
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event_body(details: EventDetails) -> dict[str, Any]:
    def when(moment: datetime) -> dict[str, str]:
        return {"dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}

    return {
        "subject": details.summary,
        "body": {"contentType": "text", "content": details.description},
        "start": when(details.start), "end": when(details.end),
        "location": {"displayName": details.location},
        "isReminderOn": True,
    }


def _holds(event: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether Graph's event already has the time, subject and place we would write."""
    try:
        same_time = all(_instant(event[key]) == _instant(body[key]) for key in ("start", "end"))
    except (KeyError, TypeError, ValueError):
        return False
    return same_time and event.get("subject") == body["subject"] \
        and (event.get("location") or {}).get("displayName", "") == body["location"]["displayName"]


class OutlookCalendar(RestClient):
    label = "Outlook Calendar"

    def email(self) -> str:
        me = self.call("GET", "/me", params={"$select": "mail,userPrincipalName"})
        return str(me.get("mail") or me.get("userPrincipalName") or "")

    def calendars(self) -> list[RemoteCalendar]:
        """The calendars the account can add events to, the default one first."""
        data = self.call("GET", "/me/calendars", params={"$select": "id,name,canEdit,isDefaultCalendar", "$top": "100"})
        found = [
            (
                not item.get("isDefaultCalendar"),
                RemoteCalendar(url=str(item["id"]), name=str(item.get("name") or "Calendar")[:200]),
            )
            for item in data.get("value", [])
            if isinstance(item, dict) and item.get("id") and item.get("canEdit", True)
        ]
        return [calendar for _, calendar in sorted(found, key=lambda pair: pair[0])]

    def busy(self, calendar_id: str, start: datetime, end: datetime, *, zone: str = "UTC") -> list[BusyTime]:
        params: dict[str, str] | None = {"startDateTime": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "endDateTime": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "$select": "start,end,showAs,isCancelled", "$top": "250"}
        url: str | None = f"/me/calendars/{quote(calendar_id, safe='')}/calendarView"
        busy: list[BusyTime] = []
        with deadline(self.timeout):  # every page within one call's time
            for _ in range(MAX_PAGES):
                if url is None:
                    break
                data = self.call("GET", url, params=params, headers=UTC_TIMES)
                for item in data.get("value", []):
                    if (
                        not isinstance(item, dict)
                        or item.get("isCancelled")
                        or str(item.get("showAs", "")).lower() in FREE
                    ):
                        continue
                    try:
                        busy.append(BusyTime(_instant(item["start"]), _instant(item["end"])))
                    except (KeyError, TypeError, ValueError):
                        continue
                url, params = data.get("@odata.nextLink"), None
                if not url:
                    break
        return sorted(busy, key=lambda b: (b.start, b.end))

    def _create(self, calendar_id: str, details: EventDetails) -> dict[str, Any]:
        made = self.call("POST", f"/me/calendars/{quote(calendar_id, safe='')}/events",
                         json={**event_body(details), "transactionId": details.uid}, ok=(200, 201))
        if not made.get("id"):
            raise NotFound("Outlook Calendar answered without the event's id")
        return made

    def put_event(self, calendar_id: str, details: EventDetails, remote_id: str | None = None) -> str:
        if remote_id is not None:
            try:
                self.call("PATCH", f"/me/events/{quote(remote_id, safe='')}", json=event_body(details), ok=(200,))
                return remote_id
            except NotFound:
                pass  # deleted in the calendar meanwhile: made again
        made = self._create(calendar_id, details)
        if not _holds(made, event_body(details)):  # an earlier create's event, made before a change
            self.call("PATCH", f"/me/events/{quote(str(made['id']), safe='')}", json=event_body(details), ok=(200,))
        return str(made["id"])

    def delete_event(self, calendar_id: str, uid: str, remote_id: str | None = None) -> None:
        if remote_id is None:  # a create whose answer was lost: sent again, it names what it made
            remote_id = str(self._create(calendar_id, EventDetails(
                uid=uid, sequence=0, summary="", start=datetime.now(UTC), end=datetime.now(UTC), timezone="UTC",
                location="", description="", url="", organizer=None, attendees=()))["id"])  # type: ignore[arg-type]
        try:
            self.call("DELETE", f"/me/events/{quote(remote_id, safe='')}", ok=(204, 200))
        except NotFound:
            pass  # already gone: done
