"""Calendar invitations (RFC 5545 / iTIP): one stable UID per booking, SEQUENCE raised on change."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from urllib.parse import urlencode

from icalendar import Calendar, Event, vCalAddress

from linktime.calendars.base import EventDetails
from linktime.conferencing.base import display_id, makes_meetings
from linktime.i18n import gettext
from linktime.models import Booking, Location, MeetingStatus, now_utc
from linktime.urls import public_url


def uid(booking: Booking) -> str:
    return f"{booking.uid}@linktime"


def join_url(booking: Booking) -> str | None:
    """The meeting's join link, once the provider has made the meeting."""
    meeting = booking.meeting
    if makes_meetings(booking.location) and meeting is not None and meeting.is_created:
        return str(meeting.join_url) if meeting.join_url else None
    return None


def where(booking: Booking) -> str:
    """The place in one line, as calendars show it."""
    if booking.is_cancelled:  # its link is gone or going, none is coming
        return booking.location_kind.label if makes_meetings(booking.location) else _place(booking)
    link = join_url(booking)
    if link:
        return link
    if makes_meetings(booking.location):
        meeting = booking.meeting
        if meeting is None or meeting.status in (MeetingStatus.NO_CONNECTION, MeetingStatus.FAILED):
            return gettext("%(provider)s (the host will send the link)", provider=booking.location_kind.label)
        return gettext("%(provider)s (the link follows by email)", provider=booking.location_kind.label)
    return _place(booking)


def _place(booking: Booking) -> str:
    return {
        Location.IN_PERSON: booking.location_detail,
        Location.PHONE: f"{gettext('Phone call')} {booking.location_detail}".strip(),
        Location.CUSTOM_LINK: booking.location_detail,
    }.get(booking.location_kind, "")


def description(booking: Booking, *, manage: str | None = None, for_host: bool = False) -> str:
    """The event's text; ``manage`` is where its reader changes it (the invitee's link by default).
    ``for_host``: the host's own calendar's copy, with the invitee's answers and guests."""
    who = booking.host_names if booking.internal else gettext("%(host)s and %(invitee)s", host=booking.host_names,
                                                              invitee=booking.invitee_name)
    what = gettext("%(title)s with %(who)s.", title=booking.title, who=who)
    lines = [gettext("Cancelled: %(what)s", what=what) if booking.is_cancelled else what]
    link = None if booking.is_cancelled else join_url(booking)
    if link and (meeting := booking.meeting) is not None:
        lines += ["", gettext("Join %(provider)s meeting: %(link)s", provider=meeting.provider_kind.label, link=link),
                  gettext("Meeting ID: %(id)s", id=display_id(meeting))]
        if meeting.password:
            lines.append(gettext("Passcode: %(code)s", code=meeting.password))
    elif where(booking):
        lines += ["", gettext("Where: %(place)s", place=where(booking))]
    if booking.notes:
        lines += ["", gettext("Notes: %(notes)s", notes=booking.notes)]
    if for_host and (booking.answer_list or (booking.guest_list and not booking.internal)):
        lines += ["", *(f"{question}: {answer}" for question, answer in booking.answer_list)]
        if booking.guest_list and not booking.internal:
            lines.append(gettext("Guests: %(guests)s", guests=", ".join(booking.guest_list)))
    if not booking.is_cancelled:
        lines += ["", gettext("Change or cancel: %(link)s", link=manage or booking.manage_url)]
    return "\n".join(lines)


def manage_url(booking: Booking) -> str:
    """Where the invitation's reader changes the booking: the invitee's own link; for an internal
    meeting (its guests have no such link) the hosts' bookings."""
    return public_url("bookings.dashboard") if booking.internal else booking.manage_url


def summary(booking: Booking) -> str:
    """The calendar entry's title: what, and who (an internal meeting's are its hosts)."""
    if booking.internal:
        return f"{booking.title}: {booking.host_names}"
    return f"{booking.title}: " + gettext("%(host)s and %(invitee)s", host=booking.host_names,
                                          invitee=booking.invitee_name)


def invite(booking: Booking, *, cancel: bool = False, method: str | None = None) -> bytes:
    """An iTIP invitation: METHOD:REQUEST for a new or changed booking, METHOD:CANCEL for a
    cancelled one. ``method="PUBLISH"`` is the downloadable file (no reply is expected).

    The host's and the invitee's copies of a message carry the same invitation: it is written
    once for both (within the minute, and only while everything it says is the same).
    """
    host = booking.host
    return _invite(
        method or ("CANCEL" if cancel else "REQUEST"), uid(booking), booking.sequence,
        now_utc().replace(second=0, microsecond=0), booking.start, booking.end,
        summary(booking), where(booking),
        join_url(booking) or manage_url(booking), description(booking, manage=manage_url(booking)), host.email,
        host.name,
        (*(((booking.invitee_email, booking.invitee_name),) if booking.invitee_email else ()),
         *((co.user.email, co.user.name) for co in booking.co_hosts),
         *((guest, guest) for guest in booking.guest_list)),
        "CANCELLED" if cancel else "CONFIRMED",
    )


@lru_cache(maxsize=64)
def _invite(method: str, event_uid: str, sequence: int, stamp: datetime, start: datetime, end: datetime,
            summary: str, location: str, url: str, text: str, host_email: str, host_name: str,
            invitees: tuple[tuple[str, str], ...], status: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//LinkTime//Scheduling//EN")
    calendar.add("version", "2.0")
    if method:  # a calendar object stored on a server carries none
        calendar.add("method", method)
    event = Event()
    event.add("uid", event_uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("location", location)
    event.add("url", url)
    event.add("description", text)
    organizer = vCalAddress(f"mailto:{host_email}")
    organizer.params["cn"] = host_name
    event.add("organizer", organizer)
    for invitee_email, invitee_name in invitees:
        attendee = vCalAddress(f"mailto:{invitee_email}")
        attendee.params.update({"cn": invitee_name, "role": "REQ-PARTICIPANT", "partstat": "ACCEPTED",
                                "rsvp": "FALSE"})
        event.add("attendee", attendee)
    event.add("status", status)
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def series_file(bookings: list[Booking]) -> bytes:
    """Every session of a series in one file (METHOD:PUBLISH may hold several events), each under
    its own booking's UID, as its own invitations say."""
    calendar = Calendar()
    calendar.add("prodid", "-//LinkTime//Scheduling//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    for booking in bookings:
        calendar.add_component(Calendar.from_ical(invite(booking, method="PUBLISH")).walk("VEVENT")[0])
    return bytes(calendar.to_ical())


def feed_file(bookings: list[Booking], name: str) -> bytes:
    """A host's bookings as a calendar they subscribe to: each under its booking's UID (the same
    event as its invitation), written for the host (answers included), a cancelled one marked so."""
    calendar = Calendar()
    calendar.add("prodid", "-//LinkTime//Scheduling//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = now_utc().replace(second=0, microsecond=0)
    for booking in bookings:
        host = booking.host
        page = public_url("bookings.host_booking", booking_id=booking.id)
        text = description(booking, manage=page, for_host=True)
        one = _invite("", uid(booking), booking.sequence, stamp, booking.start, booking.end, summary(booking),
                      where(booking), join_url(booking) or page, text, host.email, host.name, (),
                      "CANCELLED" if booking.is_cancelled else "CONFIRMED")
        calendar.add_component(Calendar.from_ical(one).walk("VEVENT")[0])
    return bytes(calendar.to_ical())


def event_file(details: EventDetails) -> bytes:
    """The host's calendar copy of a booking, as a CalDAV server stores it (no METHOD)."""
    return _invite("", details.uid, details.sequence, now_utc().replace(second=0, microsecond=0),
                   details.start, details.end, details.summary, details.location, details.url,
                   details.description, details.organizer.email, details.organizer.name,
                   tuple((person.email, person.name) for person in details.attendees), "CONFIRMED")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(booking: Booking) -> str:
    query = urlencode({
        "action": "TEMPLATE",
        "text": gettext("%(title)s with %(host)s", title=booking.title, host=booking.host_names),
        "dates": f"{_stamp(booking.start)}/{_stamp(booking.end)}",
        "details": description(booking),
        "location": where(booking),
    })
    return f"https://calendar.google.com/calendar/render?{query}"


def outlook_calendar_url(booking: Booking) -> str:
    query = urlencode({
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": gettext("%(title)s with %(host)s", title=booking.title, host=booking.host_names),
        "startdt": booking.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": booking.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": description(booking),
        "location": where(booking),
    })
    return f"https://outlook.live.com/calendar/0/deeplink/compose?{query}"
