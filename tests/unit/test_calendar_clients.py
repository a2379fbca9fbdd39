"""The Google and Outlook clients against recorded wire answers (responses), as the providers
document them: what is sent, what is read, and every failure turned into our own type."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses

from linktime.calendars.base import CalendarError, EventDetails, Expired, Person, Unreachable, WrongPassword
from linktime.calendars.google.client import GoogleCalendar, event_id
from linktime.calendars.microsoft.client import OutlookCalendar

G = "https://www.googleapis.com"
M = "https://graph.microsoft.com/v1.0"
START, END = datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)
DETAILS = EventDetails(uid="b1c2@linktime", sequence=0, summary="Intro Call: Ada and Bea",
                       start=datetime(2026, 11, 24, 15, tzinfo=UTC), end=datetime(2026, 11, 24, 15, 30, tzinfo=UTC),
                       timezone="America/New_York", location="https://zoom.us/j/1", description="Join: https://zoom.us/j/1",
                       url="https://zoom.us/j/1", organizer=Person("ada@example.com", "Ada"),
                       attendees=(Person("bea@example.com", "Bea"),))


def google() -> GoogleCalendar:
    return GoogleCalendar(G, "access-1", timeout=2)


def outlook() -> OutlookCalendar:
    return OutlookCalendar(M, "access-1", timeout=2)


@responses.activate
def test_google_busy_times_come_from_free_busy_with_the_token():
    responses.post(f"{G}/calendar/v3/freeBusy", json={"calendars": {"primary@x": {"busy": [
        {"start": "2026-11-24T15:00:00Z", "end": "2026-11-24T16:00:00Z"},
        {"start": "2026-11-24T10:00:00-05:00", "end": "2026-11-24T10:30:00-05:00"}]}}})
    busy = google().busy("primary@x", START, END)
    assert [(b.start.strftime("%H:%M"), b.end.strftime("%H:%M")) for b in busy] == [("15:00", "15:30"),
                                                                                     ("15:00", "16:00")]
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == "Bearer access-1"
    assert json.loads(sent.body) == {"timeMin": "2026-11-24T00:00:00Z", "timeMax": "2026-11-25T00:00:00Z",
                                     "items": [{"id": "primary@x"}]}


@responses.activate
def test_google_calendar_errors_in_a_free_busy_answer_are_said():
    responses.post(f"{G}/calendar/v3/freeBusy", json={"calendars": {"gone@x": {"errors": [{"reason": "notFound"}]}}})
    with pytest.raises(CalendarError, match="notFound"):
        google().busy("gone@x", START, END)


@pytest.mark.parametrize("status,body,error", [
    (401, {"error": {"code": 401, "message": "Invalid Credentials"}}, Expired),
    (403, {"error": {"code": 403, "errors": [{"reason": "rateLimitExceeded"}], "message": "Rate Limit Exceeded"}},
     Unreachable),
    (429, {"error": {"code": 429, "message": "Too many requests"}}, Unreachable),
    (503, {"error": {"code": 503, "message": "Backend Error"}}, Unreachable),
    (403, {"error": {"code": 403, "errors": [{"reason": "forbidden"}], "message": "Forbidden"}}, CalendarError),
])
@responses.activate
def test_google_failures_become_our_types(status, body, error):
    responses.post(f"{G}/calendar/v3/freeBusy", json=body, status=status)
    with pytest.raises(error) as raised:
        google().busy("primary@x", START, END)
    assert raised.type is error


@responses.activate
def test_a_google_create_sent_again_updates_the_event_it_made():
    identifier = event_id(DETAILS.uid)
    assert set(identifier) <= set("abcdefghijklmnopqrstuv0123456789") and 5 <= len(identifier) <= 1024
    events = f"{G}/calendar/v3/calendars/primary%40x/events"
    responses.post(
        events, status=409, json={"error": {"code": 409, "message": "The requested identifier already exists."}}
    )
    responses.patch(f"{events}/{identifier}", json={"id": identifier})
    assert google().put_event("primary@x", DETAILS, None) == identifier
    created, patched = (json.loads(call.request.body) for call in responses.calls)
    assert created["id"] == identifier and created["iCalUID"] == DETAILS.uid
    assert created["start"] == {"dateTime": "2026-11-24T15:00:00Z", "timeZone": "America/New_York"}
    assert [a["email"] for a in created["attendees"]] == ["ada@example.com", "bea@example.com"]
    assert created["location"] == "https://zoom.us/j/1" and "sendUpdates=none" in responses.calls[0].request.url
    assert patched["status"] == "confirmed"  # a deleted event with this id comes back


@responses.activate
def test_a_google_delete_of_what_is_gone_is_done():
    responses.delete(f"{G}/calendar/v3/calendars/primary%40x/events/{event_id(DETAILS.uid)}", status=410,
                     json={"error": {"code": 410, "message": "Resource has been deleted"}})
    google().delete_event("primary@x", DETAILS.uid, None)  # no error: gone is what was wanted
    assert [(call.request.method, call.request.url.split("?")[0]) for call in responses.calls] == [
        ("DELETE", f"{G}/calendar/v3/calendars/primary%40x/events/{event_id(DETAILS.uid)}")]


@responses.activate
def test_outlook_busy_times_page_through_the_calendar_view_in_utc():
    view = f"{M}/me/calendars/cal-1/calendarView"
    responses.get(
        view,
        match=[
            responses.matchers.query_param_matcher(
                {
                    "startDateTime": "2026-11-24T00:00:00Z",
                    "endDateTime": "2026-11-25T00:00:00Z",
                    "$select": "start,end,showAs,isCancelled",
                    "$top": "250",
                }
            )
        ],
        json={
            "value": [
                {
                    "start": {"dateTime": "2026-11-24T15:00:00.0000000", "timeZone": "UTC"},
                    "end": {"dateTime": "2026-11-24T16:00:00.0000000", "timeZone": "UTC"},
                    "showAs": "busy",
                },
                {
                    "start": {"dateTime": "2026-11-24T17:00:00.0000000"},
                    "end": {"dateTime": "2026-11-24T18:00:00.0000000"},
                    "showAs": "free",
                },
                {
                    "start": {"dateTime": "2026-11-24T19:00:00.0000000"},
                    "end": {"dateTime": "2026-11-24T20:00:00.0000000"},
                    "showAs": "busy",
                    "isCancelled": True,
                },
            ],
            "@odata.nextLink": f"{view}?page=2",
        },
    )
    responses.get(f"{view}?page=2", json={"value": [
        {"start": {"dateTime": "2026-11-24T20:00:00.0000000"}, "end": {"dateTime": "2026-11-24T20:30:00.0000000"},
         "showAs": "tentative"},
        {"start": {"dateTime": "2026-11-24T21:00:00.0000000"}, "end": {"dateTime": "2026-11-24T22:00:00.0000000"},
         "showAs": "workingElsewhere"}]})
    busy = outlook().busy("cal-1", START, END)
    assert [(b.start.hour, b.end.hour) for b in busy] == [(15, 16), (20, 20)]  # tentative blocks
    assert responses.calls[0].request.headers["Prefer"] == 'outlook.timezone="UTC"'


def graph_made(event_id: str, start: str = "2026-11-24T15:00:00"):
    """Graph's answer to a create: the event as made (with the time it was first made at)."""
    def answer(request):
        body = json.loads(request.body)
        made = {**body, "id": event_id, "start": {"dateTime": start + ".0000000", "timeZone": "UTC"}}
        return 201, {}, json.dumps(made)
    return answer


@responses.activate
def test_an_outlook_create_carries_the_transaction_id_and_no_attendees_and_a_lost_one_is_found_for_removal():
    responses.add_callback(responses.POST, f"{M}/me/calendars/cal-1/events", callback=graph_made("AAMk-1"))
    responses.delete(f"{M}/me/events/AAMk-1", status=204)
    assert outlook().put_event("cal-1", DETAILS, None) == "AAMk-1"
    body = json.loads(responses.calls[0].request.body)
    assert body["transactionId"] == DETAILS.uid and body["start"] == {
        "dateTime": "2026-11-24T15:00:00",
        "timeZone": "UTC",
    }
    assert "attendees" not in body  # Exchange would mail the invitee an invitation of its own
    assert len(responses.calls) == 1  # the event holds what was sent: nothing to correct
    outlook().delete_event("cal-1", DETAILS.uid, None)  # the answer to the create was lost: asked again, then deleted
    assert json.loads(responses.calls[1].request.body)["transactionId"] == DETAILS.uid
    assert responses.calls[2].request.method == "DELETE"


@responses.activate
def test_an_outlook_create_answered_with_the_event_an_earlier_create_made_is_corrected():
    responses.add_callback(responses.POST, f"{M}/me/calendars/cal-1/events",
                           callback=graph_made("AAMk-1", start="2026-11-23T15:00:00"))
    responses.patch(f"{M}/me/events/AAMk-1", json={"id": "AAMk-1"})
    assert outlook().put_event("cal-1", DETAILS, None) == "AAMk-1"
    assert responses.calls[1].request.method == "PATCH"
    assert json.loads(responses.calls[1].request.body)["start"]["dateTime"] == "2026-11-24T15:00:00"


@responses.activate
def test_outlook_throttling_says_when_to_come_back():
    responses.patch(f"{M}/me/events/AAMk-1", status=429, headers={"Retry-After": "7"},
                    json={"error": {"code": "ApplicationThrottled", "message": "Too many requests"}})
    with pytest.raises(Unreachable) as raised:
        outlook().put_event("cal-1", DETAILS, "AAMk-1")
    assert raised.value.retry_after == 7


@responses.activate
def test_an_outlook_event_deleted_in_the_calendar_is_made_again():
    responses.patch(f"{M}/me/events/AAMk-1", status=404,
                    json={"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found"}})
    responses.add_callback(responses.POST, f"{M}/me/calendars/cal-1/events", callback=graph_made("AAMk-2"))
    assert outlook().put_event("cal-1", DETAILS, "AAMk-1") == "AAMk-2"


def test_refresh_with_a_revoked_grant_asks_for_a_new_connection(app):
    from linktime.calendars import oauth
    from linktime.models import CalendarProvider

    with app.app_context(), responses.RequestsMock() as wire:
        settings = oauth.app_for(CalendarProvider.GOOGLE)
        wire.post(settings.token_url, status=400, json={"error": "invalid_grant",
                                                        "error_description": "Token has been expired or revoked."})
        with pytest.raises(WrongPassword, match="revoked or has expired"):
            oauth._token_call(settings, lambda session: session.refresh_token(settings.token_url, refresh_token="r"))
        wire.post(settings.token_url, json={"access_token": "a2", "expires_in": 3599, "token_type": "Bearer"})
        tokens = oauth._tokens(oauth._token_call(settings, lambda session: session.refresh_token(
            settings.token_url, refresh_token="r")), "r")
        assert tokens.refresh_token == "r" and tokens.expires_at > datetime.now(UTC) + timedelta(minutes=50)
        sent = wire.calls[-1].request.body
        assert "grant_type=refresh_token" in sent and "client_secret=" in sent  # client_secret_post


# ---------------------------------------------------------------- Google Meet (conference data)

MEET_EVENT = {
    "id": "abc",
    "conferenceData": {"createRequest": {"requestId": "m-1", "status": {"statusCode": "pending"}}},
}
MADE = {"id": "abc", "hangoutLink": "https://meet.google.com/abc-defg-hij", "conferenceData": {
    "createRequest": {"requestId": "m-1", "status": {"statusCode": "success"}},
    "entryPoints": [{"entryPointType": "video", "uri": "https://meet.google.com/abc-defg-hij"}]}}


@responses.activate
def test_a_meet_conference_is_asked_for_with_its_request_id_and_read_when_made():
    from linktime.calendars.google.client import meet_of

    events = f"{G}/calendar/v3/calendars/primary%40x/events"
    responses.post(events, json=MEET_EVENT)
    responses.get(f"{events}/abc", json=MADE)
    meet = GoogleCalendar(G, "access-1", timeout=2)
    created = meet.conference_event("primary@x", "abc", {"summary": "Intro"}, "m-1")
    assert meet_of(created) == (None, "pending")
    assert meet_of(meet.event("primary@x", "abc")) == ("https://meet.google.com/abc-defg-hij", "success")
    sent = responses.calls[0].request
    assert "conferenceDataVersion=1" in sent.url  # without it Google ignores the request silently
    assert json.loads(sent.body)["conferenceData"] == {"createRequest": {
        "requestId": "m-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}


@responses.activate
def test_a_meet_create_sent_again_reads_the_event_the_first_one_made():
    from linktime.calendars.google.client import meet_of

    events = f"{G}/calendar/v3/calendars/primary%40x/events"
    responses.post(
        events, status=409, json={"error": {"code": 409, "message": "The requested identifier already exists."}}
    )
    responses.get(f"{events}/abc", json=MADE)
    assert meet_of(GoogleCalendar(G, "access-1").conference_event("primary@x", "abc", {}, "m-1"))[0] == \
        "https://meet.google.com/abc-defg-hij"
    assert [call.request.method for call in responses.calls] == ["POST", "GET"]  # no second create


def test_a_meet_link_is_read_from_the_entry_points_too():
    from linktime.calendars.google.client import meet_of

    only_points = {"conferenceData": {"entryPoints": [{"entryPointType": "phone", "uri": "tel:+1"},
                                                      {"entryPointType": "video", "uri": "https://meet.google.com/x"}]}}
    assert meet_of(only_points) == ("https://meet.google.com/x", "success")
    failed = {"conferenceData": {"createRequest": {"status": {"statusCode": "failure"}}}}
    assert meet_of(failed) == (None, "failure")
