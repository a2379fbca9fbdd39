"""The Zoom client against recorded wire answers (responses): every error becomes our own type."""
from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from linktime.conferencing.base import MeetingDetails
from linktime.conferencing.zoom.client import (
    SCOPES,
    ZoomAPI,
    ZoomAuthError,
    ZoomGrantError,
    ZoomNotFound,
    ZoomOAuth,
    ZoomRateLimited,
    ZoomRequestError,
    ZoomSettings,
    ZoomUnavailable,
    find_marked,
    meeting_payload,
    scopes_markdown,
)

pytestmark = pytest.mark.same_on_every_database  # no database in these tests (CI runs them on SQLite only)

SETTINGS = ZoomSettings(client_id="cid", client_secret="csecret", oauth_url="https://zoom.test",
                        api_url="https://api.zoom.test/v2", redirect_uri="https://lt.example/integrations/zoom/callback",
                        timeout=3)
TOKEN = {"access_token": "at-1", "token_type": "bearer", "refresh_token": "rt-1", "expires_in": 3599,
         "scope": " ".join(SCOPES)}


def api() -> ZoomAPI:
    return ZoomAPI(SETTINGS, "at-1")


def test_authorization_url_has_state_pkce_redirect_and_only_our_scopes():
    url = ZoomOAuth(SETTINGS).authorization_url("state-123", "v" * 64)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://zoom.test/oauth/authorize"
    assert query["response_type"] == "code" and query["client_id"] == "cid" and query["state"] == "state-123"
    assert query["redirect_uri"] == "https://lt.example/integrations/zoom/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert set(query["scope"].split()) == set(SCOPES)


@responses.activate
def test_code_exchange_uses_basic_auth_and_the_verifier():
    responses.post("https://zoom.test/oauth/token", json=TOKEN)
    tokens = ZoomOAuth(SETTINGS).exchange_code("the-code", "the-verifier")
    request = responses.calls[0].request
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
    body = parse_qs(request.body)
    assert body["grant_type"] == ["authorization_code"] and body["code"] == ["the-code"]
    assert body["code_verifier"] == ["the-verifier"]
    assert body["redirect_uri"] == ["https://lt.example/integrations/zoom/callback"]
    assert "client_secret" not in body
    assert tokens.access_token == "at-1" and tokens.refresh_token == "rt-1"
    assert timedelta(seconds=3500) < tokens.expires_at - datetime.now(UTC) <= timedelta(seconds=3600)
    assert tokens.missing_scopes() == []


@responses.activate
def test_refresh_sends_the_refresh_token_and_returns_the_rotated_one():
    responses.post("https://zoom.test/oauth/token", json={**TOKEN, "access_token": "at-2", "refresh_token": "rt-2"})
    tokens = ZoomOAuth(SETTINGS).refresh("rt-1")
    body = parse_qs(responses.calls[0].request.body)
    assert body == {"grant_type": ["refresh_token"], "refresh_token": ["rt-1"]}
    assert (tokens.access_token, tokens.refresh_token) == ("at-2", "rt-2")


@pytest.mark.parametrize("body", [
    {"reason": "Invalid Token!", "error": "invalid_grant"},
    {"reason": "Invalid Token!", "error": "invalid_request"},
])
@responses.activate
def test_a_burnt_refresh_token_is_a_grant_error(body):
    responses.post("https://zoom.test/oauth/token", json=body, status=400)
    with pytest.raises(ZoomGrantError, match="Invalid Token"):
        ZoomOAuth(SETTINGS).refresh("rt-old")


@pytest.mark.parametrize("body,error", [
    ({"reason": "Invalid redirect url", "error": "invalid_request"}, ZoomRequestError),
    ({"code": 4709, "message": "Redirect URI mismatch"}, ZoomRequestError),
    ({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, ZoomRequestError),
    ({"reason": "Invalid authorization code", "error": "invalid_grant"}, ZoomGrantError),
])
@responses.activate
def test_code_exchange_errors_are_classified(body, error):
    responses.post("https://zoom.test/oauth/token", json=body, status=400)
    with pytest.raises(error) as caught:
        ZoomOAuth(SETTINGS).exchange_code("code", "verifier")
    assert caught.value.message


@pytest.mark.parametrize("kwargs", [
    {"status": 503, "body": "<html>Service Unavailable</html>"},
    {"status": 502, "body": ""},
    {"status": 200, "body": "<xml>not json</xml>"},
])
@responses.activate
def test_token_endpoint_garbage_is_unavailable(kwargs):
    responses.post("https://zoom.test/oauth/token", **kwargs)
    with pytest.raises(ZoomUnavailable):
        ZoomOAuth(SETTINGS).refresh("rt")


@responses.activate
def test_revoke_posts_the_token_with_basic_auth():
    responses.post("https://zoom.test/oauth/revoke", json={"status": "success"})
    ZoomOAuth(SETTINGS).revoke("rt-1")
    request = responses.calls[0].request
    assert parse_qs(request.body)["token"] == ["rt-1"]
    assert request.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_me_and_create_meeting():
    responses.get("https://api.zoom.test/v2/users/me", json={"id": "u1", "email": "a@zoom.test", "account_id": "acc"})
    responses.post("https://api.zoom.test/v2/users/me/meetings", status=201,
                   json={"id": 85746065432, "join_url": "https://zoom.test/j/85746065432?pwd=x", "password": "abc123",
                         "start_url": "https://zoom.test/s/85746065432?zak=SECRET"})
    assert api().me().email == "a@zoom.test"
    meeting = api().create_meeting({"topic": "t"})
    assert (meeting.id, meeting.password) == ("85746065432", "abc123")
    assert "start_url" not in meeting.__dataclass_fields__
    assert responses.calls[0].request.headers["Authorization"] == "Bearer at-1"


@pytest.mark.parametrize("status,body,error", [
    (401, {"code": 124, "message": "Invalid access token."}, ZoomAuthError),
    (400, {"code": 124, "message": "Access token is expired."}, ZoomAuthError),
    (404, {"code": 3001, "message": "Meeting is not found or has expired."}, ZoomNotFound),
    (400, {"code": 3161, "message": "Meeting hosting and scheduling capabilities are not allowed."}, ZoomRequestError),
    (500, {"code": 500, "message": "Internal"}, ZoomUnavailable),
    (503, "", ZoomUnavailable),
    (502, "<?xml version='1.0'?><error>bad gateway</error>", ZoomUnavailable),
    (400, "<xml/>", ZoomRequestError),
])
@responses.activate
def test_api_errors_are_classified(status, body, error):
    kwargs = {"json": body} if isinstance(body, dict) else {"body": body}
    responses.patch("https://api.zoom.test/v2/meetings/1", status=status, **kwargs)
    with pytest.raises(error):
        api().update_meeting("1", {"duration": 30})


@responses.activate
def test_429_with_retry_after_and_the_daily_limit():
    responses.post("https://api.zoom.test/v2/users/me/meetings", status=429, headers={"Retry-After": "7"},
                   json={"code": 429, "message": "You have reached the maximum per-second rate limit for this API."})
    with pytest.raises(ZoomRateLimited) as caught:
        api().create_meeting({})
    assert caught.value.retry_after == 7 and not caught.value.daily
    responses.replace(responses.POST, "https://api.zoom.test/v2/users/me/meetings", status=429,
                      json={"code": 429, "message": "You have exceeded the daily rate limit (100) of Create/Update "
                                                    "meeting API requests permitted for this particular user. "
                                                    "You may resume these requests at 00:00 GMT."})
    with pytest.raises(ZoomRateLimited) as caught:
        api().create_meeting({})
    assert caught.value.retry_after is None and caught.value.daily


@responses.activate
def test_network_errors_and_timeouts_are_unavailable():
    import requests

    responses.post("https://api.zoom.test/v2/users/me/meetings", body=requests.ConnectionError("refused"))
    responses.get("https://api.zoom.test/v2/users/me", body=requests.Timeout("slow"))
    with pytest.raises(ZoomUnavailable, match="ConnectionError"):
        api().create_meeting({})
    with pytest.raises(ZoomUnavailable, match="Timeout"):
        api().me()


@responses.activate
def test_delete_of_a_meeting_already_gone_counts_as_done():
    responses.delete("https://api.zoom.test/v2/meetings/9", status=404,
                     json={"code": 3001, "message": "Meeting is not found or has expired."})
    api().delete_meeting("9")  # no error: gone is what was wanted
    assert [(call.request.method, call.request.url) for call in responses.calls] == [
        ("DELETE", "https://api.zoom.test/v2/meetings/9")]


@responses.activate
def test_a_created_meeting_without_a_link_is_not_accepted():
    responses.post("https://api.zoom.test/v2/users/me/meetings", status=201, json={"uuid": "x"})
    with pytest.raises(ZoomUnavailable, match="no id or join_url"):
        api().create_meeting({})


DETAILS = MeetingDetails(topic="Intro Call with " + "B" * 300, start=datetime(2026, 11, 24, 14, tzinfo=UTC),
                         duration_minutes=30, timezone="America/New_York", agenda="n" * 3000, marker="m-123")


def test_meeting_payload_follows_the_zoom_contract_and_carries_the_marker():
    body = meeting_payload(DETAILS)
    assert body["type"] == 2 and body["start_time"] == "2026-11-24T14:00:00Z" and body["duration"] == 30
    assert len(body["topic"]) == 200 and body["topic"].startswith("Intro Call with BBB")
    assert len(body["agenda"]) <= 2000 and body["agenda"].endswith("(ref m-123)")
    assert body["settings"] == {"host_video": True, "participant_video": True, "waiting_room": False}


@responses.activate
def test_upcoming_meetings_follow_every_page():
    url = "https://api.zoom.test/v2/users/me/meetings"
    responses.get(url, match=[responses.matchers.query_param_matcher({"type": "upcoming", "page_size": "300"})],
                  json={"meetings": [{"id": 1}], "next_page_token": "p2"})
    responses.get(url, match=[responses.matchers.query_param_matcher(
        {"type": "upcoming", "page_size": "300", "next_page_token": "p2"})], json={"meetings": [{"id": 2}, "junk"]})
    assert [m["id"] for m in api().upcoming_meetings()] == [1, 2]


@responses.activate
def test_paging_that_never_ends_is_cut_off():
    responses.get(
        "https://api.zoom.test/v2/users/me/meetings", json={"meetings": [{"id": 1}], "next_page_token": "again"}
    )
    assert len(api().upcoming_meetings(page_limit=3)) == 3 and len(responses.calls) == 3


def test_our_earlier_attempt_is_found_by_its_marker_or_by_topic_and_time():
    body = meeting_payload(DETAILS)
    ours = {"id": 7, "join_url": "https://zoom.test/j/7", "agenda": body["agenda"], "topic": "x", "start_time": "y"}
    other = {"id": 8, "join_url": "https://zoom.test/j/8", "agenda": "Booked with LinkTime (ref m-999)"}
    assert find_marked([other, ours], DETAILS) == ours
    assert find_marked([other], DETAILS) is None
    bare = {"id": 9, "join_url": "https://zoom.test/j/9", "topic": body["topic"], "start_time": body["start_time"]}
    assert find_marked([other, bare], DETAILS) == bare  # a listing without agendas


@responses.activate
@pytest.mark.parametrize("failure, uncertain", [
    (requests.exceptions.ReadTimeout("slow"), True),
    (requests.exceptions.ConnectionError("reset by peer"), True),
    (requests.exceptions.ConnectTimeout("no route"), False),
])
def test_a_create_that_may_have_reached_zoom_is_uncertain(failure, uncertain):
    responses.post("https://api.zoom.test/v2/users/me/meetings", body=failure)
    with pytest.raises(ZoomUnavailable) as caught:
        api().create_meeting({})
    assert caught.value.uncertain is uncertain


@responses.activate
def test_a_5xx_is_uncertain_and_a_429_is_not():
    responses.post("https://api.zoom.test/v2/users/me/meetings", status=502)
    with pytest.raises(ZoomUnavailable) as caught:
        api().create_meeting({})
    assert caught.value.uncertain
    responses.replace(responses.POST, "https://api.zoom.test/v2/users/me/meetings", status=429, json={"code": 429})
    with pytest.raises(ZoomRateLimited) as limited:
        api().create_meeting({})
    assert not limited.value.uncertain


def test_the_readme_names_exactly_the_scopes_asked_for():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("<!-- zoom-scopes -->\n", 1)[1].split("\n<!-- /zoom-scopes -->", 1)[0]
    assert block == scopes_markdown()
    assert all(f"`{name}`" in block for name in SCOPES)
