"""The only code that talks to Zoom: OAuth (through Authlib) and the REST API.

Every call has a timeout; every answer is validated on arrival; every failure becomes one of the
ZoomError types below, so callers decide by type: retry later (ZoomUnavailable), refresh the
token (ZoomAuthError), ask the host to reconnect (ZoomGrantError), or give up (ZoomRequestError).
Zoom has been seen answering XML or an empty body, so nothing assumes JSON.

References: https://developers.zoom.us/docs/integrations/oauth/ (authorize, token, revoke) and
https://developers.zoom.us/docs/api/meetings/ (create, update, delete a meeting).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:  # Authlib is loaded when a token is asked for, not at every worker's start
    from authlib.integrations.requests_client import OAuth2Session

import contextlib

from linktime.conferencing import base
from linktime.http import DeadlinePassed, bounded, bounded_session, deadline, retry_after
from linktime.i18n import lazy_gettext as _l


# Every permission LinkTime asks Zoom for, with the words people read for it: the one source of the
# consent screen, the Integrations card and the README (tests hold them to it).
# "required" scopes are needed to work at all; without the list scope an uncertain create cannot
# be checked, which connections made before LinkTime asked for it live with.
@dataclass(frozen=True)
class Scope:
    name: str
    classic: str  # the classic (non-granular) scope that covers it
    purpose: str
    required: bool = True


LIST_SCOPE = "meeting:read:list_meetings"
SCOPE_LIST = (
    Scope("meeting:write:meeting", "meeting:write", _l("Create meetings for your bookings")),
    Scope("meeting:update:meeting", "meeting:write", _l("Move meetings when a booking is rescheduled")),
    Scope("meeting:delete:meeting", "meeting:write", _l("Delete meetings when a booking is cancelled")),
    Scope(LIST_SCOPE, "meeting:read",
          _l("List your upcoming meetings, only to find one LinkTime made when Zoom's answer was lost"),
          required=False),
    Scope("user:read:user", "user:read", _l("View your email, to link your Zoom account")),
)
SCOPES = tuple(scope.name for scope in SCOPE_LIST)
TOPIC_LIMIT, AGENDA_LIMIT = 200, 2000


def scopes_markdown() -> str:
    """The scope list as the README states it (a test keeps the README equal to this)."""
    lines = [f"   - `{s.name}` — {s.purpose}{'' if s.required else ' (optional)'}" for s in SCOPE_LIST]
    return "\n".join(lines)


def granted(scopes: str | frozenset[str], name: str) -> bool:
    """Whether granted scopes (a set, or Zoom's space-separated string) cover one of ours.

    A classic scope covers its granular ones.
    """
    held = set(scopes.split()) if isinstance(scopes, str) else scopes
    scope = next(s for s in SCOPE_LIST if s.name == name)
    return scope.name in held or scope.classic in held


class ZoomError(base.ProviderError):
    def __init__(self, message: str, *, status: int | None = None, code: int | str | None = None):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


class ZoomUnavailable(ZoomError, base.Unavailable):
    """Zoom did not answer usefully (network, timeout, 5xx, garbage): try again later.

    ``uncertain``: the request may have reached Zoom and acted (its answer was lost).
    """

    def __init__(self, message: str, *, retry_after: float | None = None, uncertain: bool = True,
                 answered: bool = False, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after, self.uncertain, self.answered = retry_after, uncertain, answered


class ZoomRateLimited(ZoomUnavailable, base.RateLimited):
    """429. ``daily`` means the 100-per-day meeting limit: it resets at 00:00 GMT."""

    def __init__(self, message: str, *, daily: bool = False, **kw: Any):
        super().__init__(message, uncertain=False, **kw)
        self.daily = daily


class ZoomAuthError(ZoomError):
    """The access token was refused (401 / code 124): refresh it once and retry."""


class ZoomGrantError(ZoomError, base.NeedsReconnect):
    """The refresh token or authorization code is dead (invalid_grant, revoked, expired)."""


class ZoomNotFound(ZoomError, base.NotFound):
    """The meeting does not exist (404 / code 3001)."""


class ZoomRequestError(ZoomError, base.Refused):
    """Zoom refused the request itself (bad redirect URL, client, scopes, plan, …)."""


@dataclass(frozen=True)
class ZoomSettings:
    client_id: str
    client_secret: str
    oauth_url: str
    api_url: str
    redirect_uri: str
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ZoomSettings:
        return cls(
            client_id=config["ZOOM_CLIENT_ID"],
            client_secret=config["ZOOM_CLIENT_SECRET"],
            oauth_url=str(config["ZOOM_OAUTH_URL"]).rstrip("/"),
            api_url=str(config["ZOOM_API_URL"]).rstrip("/"),
            redirect_uri=str(config["BASE_URL"]).rstrip("/") + "/integrations/zoom/callback",
            timeout=float(config.get("ZOOM_TIMEOUT", 10)),
        )


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scopes: frozenset[str]

    def missing_scopes(self, *, required_only: bool = False) -> list[str]:
        """Scopes we ask for that Zoom did not grant (a classic scope covers its granular ones)."""
        return [s.name for s in SCOPE_LIST if (s.required or not required_only) and not granted(self.scopes, s.name)]


@dataclass(frozen=True)
class ZoomUser:
    id: str
    email: str
    account_id: str


def _body(response: requests.Response) -> dict[str, Any]:
    """The JSON object of a response, or {} for XML, HTML, empty or non-object bodies."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _describe(response: requests.Response, data: dict[str, Any]) -> str:
    message = data.get("message") or data.get("reason") or data.get("error_description") or data.get("error")
    if not message:
        text = (response.text or "").strip()
        message = f"HTTP {response.status_code}" + (f": {text[:120]}" if text else " with an empty body")
    return str(message)


def raise_for_response(response: requests.Response) -> dict[str, Any]:
    """Return the body of a successful answer; turn any other into a ZoomError."""
    data = _body(response)
    status = response.status_code
    if 200 <= status < 300:
        return data
    code, message = data.get("code"), _describe(response, data)
    if status == 429:
        daily = "00:00" in message or "daily" in message.lower()
        raise ZoomRateLimited(message, status=status, code=code, daily=daily, retry_after=retry_after(response))
    if status >= 500:
        raise ZoomUnavailable(message, status=status, code=code, retry_after=retry_after(response), answered=True)
    if status == 401 or code == 124:
        raise ZoomAuthError(message, status=status, code=code)
    if status == 404 or code in (3001, 1001):
        raise ZoomNotFound(message, status=status, code=code)
    raise ZoomRequestError(message, status=status, code=code)


def _token_set(token: dict[str, Any], *, previous_refresh: str | None = None) -> TokenSet:
    access, refresh = token.get("access_token"), token.get("refresh_token") or previous_refresh
    if not access or not refresh:
        raise ZoomUnavailable("Zoom's token answer had no tokens in it")
    try:
        expires_in = int(token.get("expires_in") or 3599)
    except (TypeError, ValueError):
        expires_in = 3599
    return TokenSet(
        access_token=str(access),
        refresh_token=str(refresh),
        expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        scopes=frozenset(str(token.get("scope") or "").replace(",", " ").split()),
    )


class ZoomOAuth:
    """Authorization-code grant with PKCE (S256); the client authenticates with Basic auth."""

    def __init__(self, settings: ZoomSettings):
        self.settings = settings

    def _session(self) -> OAuth2Session:
        from authlib.integrations.requests_client import OAuth2Session

        session = bounded(OAuth2Session(
            self.settings.client_id,
            self.settings.client_secret,
            redirect_uri=self.settings.redirect_uri,
            token_endpoint_auth_method="client_secret_basic",
            code_challenge_method="S256",
        ))
        # Keep Zoom's raw answer: its error bodies carry a numeric code and a "reason".
        session.register_compliance_hook("access_token_response", self._keep)
        session.register_compliance_hook("refresh_token_response", self._keep)
        return session

    last_response: requests.Response | None = None  # the token endpoint's answer, kept by the hooks

    def _keep(self, response: requests.Response) -> requests.Response:
        self.last_response = response
        return response

    def authorization_url(self, state: str, code_verifier: str) -> str:
        with self._session() as session:
            url, _ = session.create_authorization_url(
                f"{self.settings.oauth_url}/oauth/authorize", state=state, code_verifier=code_verifier,
                scope=" ".join(SCOPES),
            )
        return str(url)

    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        return self._token_call(
            lambda s: s.fetch_token(
                f"{self.settings.oauth_url}/oauth/token",
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=self.settings.timeout,
            )
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        return self._token_call(
            lambda s: s.refresh_token(
                f"{self.settings.oauth_url}/oauth/token",
                refresh_token=refresh_token,
                timeout=self.settings.timeout,
            ),
            previous_refresh=refresh_token,
        )

    def revoke(self, token: str) -> None:
        """Revoke a token at Zoom. Best effort: callers ignore ZoomError."""
        try:
            with deadline(self.settings.timeout), self._session() as session:
                response = session.revoke_token(
                    f"{self.settings.oauth_url}/oauth/revoke", token=token, timeout=self.settings.timeout
                )
        except requests.RequestException as exc:
            raise ZoomUnavailable(f"Zoom could not be reached: {type(exc).__name__}") from None
        raise_for_response(response)

    def _token_call(self, call: Callable[[Any], Any], previous_refresh: str | None = None) -> TokenSet:
        from authlib.integrations.base_client.errors import OAuthError

        self.last_response = None
        try:
            with deadline(self.settings.timeout), self._session() as session:  # in all, however slow
                token = call(session)
        except OAuthError as exc:
            data: dict[str, Any] = _body(self.last_response) if self.last_response is not None else {}
            message = data.get("reason") or exc.description or exc.error
            if exc.error in ("invalid_grant", "invalid_request") and not _is_redirect_error(data):
                raise ZoomGrantError(str(message), status=400, code=exc.error) from None
            raise ZoomRequestError(str(message), status=400, code=data.get("code") or exc.error) from None
        except requests.HTTPError as exc:
            raise_for_response(exc.response)
            raise ZoomUnavailable("Zoom's token endpoint failed") from None
        except requests.RequestException as exc:
            raise ZoomUnavailable(f"Zoom could not be reached: {type(exc).__name__}") from None
        except (ValueError, TypeError, KeyError):
            raise ZoomUnavailable("Zoom's token answer could not be read") from None
        if "access_token" not in token and self.last_response is not None:
            raise_for_response(self.last_response)  # an error body without "error"
            raise ZoomRequestError(_describe(self.last_response, _body(self.last_response)))
        return _token_set(dict(token), previous_refresh=previous_refresh)


def _is_redirect_error(data: dict[str, Any]) -> bool:
    text = f"{data.get('reason', '')} {data.get('error_description', '')} {data.get('code', '')}".lower()
    return "redirect" in text or "4700" in text or "4709" in text


class ZoomAPI:
    """The REST calls LinkTime makes, as one user (bearer access token)."""

    def __init__(self, settings: ZoomSettings, access_token: str):
        self.settings, self.access_token = settings, access_token

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            with deadline(self.settings.timeout), bounded_session() as session:  # in all, however slow
                response = session.request(
                    method,
                    f"{self.settings.api_url}{path}",
                    headers={"Authorization": f"Bearer {self.access_token}"},
                    timeout=self.settings.timeout,
                    **kwargs,
                )
        except requests.ConnectTimeout:
            raise ZoomUnavailable("Zoom could not be reached: ConnectTimeout", uncertain=False) from None
        except requests.RequestException as exc:
            # A read timeout or a reset after sending (or the deadline): Zoom may have acted on the request.
            name = "took too long to answer" if isinstance(exc, DeadlinePassed) else type(exc).__name__
            raise ZoomUnavailable(f"Zoom could not be reached: {name}") from None
        return raise_for_response(response)

    def me(self) -> ZoomUser:
        data = self._call("GET", "/users/me")
        if not data.get("id") or not data.get("email"):
            raise ZoomUnavailable("Zoom's answer about the user had no id or email")
        return ZoomUser(id=str(data["id"]), email=str(data["email"]), account_id=str(data.get("account_id", "")))

    def create_meeting(self, payload: dict[str, Any]) -> base.ExternalMeeting:
        data = self._call("POST", "/users/me/meetings", json=payload)
        meeting = external_meeting(data)
        if meeting is None:
            raise ZoomUnavailable("Zoom's answer about the new meeting had no id or join_url", answered=True)
        return meeting

    def upcoming_meetings(self, *, page_limit: int = 10) -> list[dict[str, Any]]:
        """The user's upcoming scheduled meetings (GET /users/me/meetings, every page)."""
        meetings: list[dict[str, Any]] = []
        params: dict[str, Any] = {"type": "upcoming", "page_size": 300}
        for _ in range(page_limit):  # bounded, whatever Zoom's paging does
            data = self._call("GET", "/users/me/meetings", params=params)
            page = data.get("meetings")
            if isinstance(page, list):
                meetings += [m for m in page if isinstance(m, dict)]
            token = data.get("next_page_token")
            if not token:
                break
            params["next_page_token"] = token
        return meetings

    def update_meeting(self, meeting_id: str, payload: dict[str, Any]) -> None:
        self._call("PATCH", f"/meetings/{meeting_id}", json=payload)

    def delete_meeting(self, meeting_id: str) -> None:
        """Delete a meeting; one that is already gone counts as deleted."""
        with contextlib.suppress(ZoomNotFound):
            self._call("DELETE", f"/meetings/{meeting_id}")


def meeting_payload(details: base.MeetingDetails) -> dict[str, Any]:
    """The body of POST /users/me/meetings and PATCH /meetings/{id}.

    The marker goes at the end of the agenda, where ``find_marked`` looks for it.
    https://developers.zoom.us/docs/api/meetings/#tag/meetings/POST/users/{userId}/meetings
    """
    tag = marker_line(details.marker)
    notes = details.agenda[: AGENDA_LIMIT - len(tag) - 2]
    return {
        "topic": details.topic[:TOPIC_LIMIT],
        "type": 2,  # a scheduled meeting
        "start_time": details.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": details.duration_minutes,
        "timezone": details.timezone,
        "agenda": f"{notes}\n\n{tag}" if notes else tag,
        "settings": {"host_video": True, "participant_video": True, "waiting_room": False},
    }


def external_meeting(data: dict[str, Any]) -> base.ExternalMeeting | None:
    """A meeting as Zoom describes it (create answer or list entry), or None if it lacks the basics."""
    if not data.get("id") or not data.get("join_url"):
        return None
    return base.ExternalMeeting(
        id=str(data["id"]), join_url=str(data["join_url"]), password=str(data.get("password") or "")
    )


def marker_line(marker: str) -> str:
    return f"Booked with LinkTime (ref {marker})"


def find_marked(meetings: list[dict[str, Any]], details: base.MeetingDetails) -> dict[str, Any] | None:
    """Our earlier attempt among listed meetings: its marker in the agenda, or — where the listing
    leaves the agenda out — the same topic at the same start time."""
    payload = meeting_payload(details)
    for meeting in meetings:
        agenda = meeting.get("agenda")
        if isinstance(agenda, str) and marker_line(details.marker) in agenda:
            return meeting
    for meeting in meetings:
        if "agenda" not in meeting and meeting.get("topic") == payload["topic"] \
                and meeting.get("start_time") == payload["start_time"]:
            return meeting
    return None
