"""OAuth for calendar accounts (Google, Microsoft): connect, keep the access token fresh, revoke.

Authorization code with PKCE (S256) through Authlib. The state and the PKCE verifier of a Connect
in progress live in the host's signed session, tied to the provider, for ten minutes. Tokens are
kept as JSON in ``CalendarConnection.secret`` (sealed, AES-256-GCM). An access token is refreshed a
few minutes before it expires, once across every process (``linktime/token_renewal.py``);
Microsoft's refresh tokens rotate, so the new one is stored every time.
"""
from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from flask import current_app, session
from sqlalchemy.orm import Session

from linktime import token_renewal
from linktime.calendars.base import CalendarError, Unreachable, WrongPassword
from linktime.calendars.kind import OAuthApp, Scope
from linktime.calendars.registry import kind_of
from linktime.extensions import db
from linktime.http import bounded, bounded_session, deadline
from linktime.i18n import gettext
from linktime.models import CalendarConnection, CalendarProvider, now_utc

MARGIN = timedelta(minutes=5)  # refreshed this long before it expires
PENDING_FOR = timedelta(minutes=10)
SANDBOX_CLIENT_ID = "linktime-sandbox"


def app_for(provider: CalendarProvider) -> OAuthApp:
    """The provider's OAuth app, from the configuration (its folder says how)."""
    make = kind_of(provider).oauth_app
    if make is None:
        raise ValueError(f"{provider.label} does not connect with OAuth")
    return make(current_app.config)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime

    def to_json(self) -> str:
        return json.dumps({"access_token": self.access_token, "refresh_token": self.refresh_token,
                           "expires_at": self.expires_at.isoformat()})

    @classmethod
    def from_json(cls, text: str | None) -> Tokens | None:
        try:
            data = json.loads(text or "")
            return cls(
                str(data["access_token"]), str(data["refresh_token"]), datetime.fromisoformat(data["expires_at"])
            )
        except (ValueError, KeyError, TypeError):
            return None


def _session(app: OAuthApp) -> Any:
    from authlib.integrations.requests_client import OAuth2Session

    return bounded(
        OAuth2Session(
            app.client_id,
            app.client_secret,
            redirect_uri=app.redirect_uri,
            token_endpoint_auth_method="client_secret_post",
            code_challenge_method="S256",
            scope=" ".join(scope.name for scope in app.scopes),
        )
    )


# ---------------------------------------------------------------------------- connect


def start(app: OAuthApp) -> str:
    """Where to send the host to consent; what the callback will check is kept in their session."""
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    session[f"calendar_oauth_{app.provider.value}"] = {"state": state, "verifier": verifier,
                                                        "until": (now_utc() + PENDING_FOR).isoformat()}
    with _session(app) as oauth:
        url, _ = oauth.create_authorization_url(app.authorize_url, state=state, code_verifier=verifier,
                                                **dict(app.extra))
    return str(url)


def pending(provider: CalendarProvider) -> bool:
    kept = session.get(f"calendar_oauth_{provider.value}")
    return kept is not None and datetime.fromisoformat(kept["until"]) > now_utc()


def cancel(provider: CalendarProvider) -> None:
    session.pop(f"calendar_oauth_{provider.value}", None)


class ConsentError(CalendarError):
    """The Connect did not finish: denied, expired, or not this browser's."""


def finish(app: OAuthApp, *, state: str | None, code: str | None, error: str | None) -> tuple[Tokens, dict[str, Any]]:
    """The callback: check the state, trade the code for tokens. Returns them with the id token's claims."""
    kept = session.pop(f"calendar_oauth_{app.provider.value}", None)
    label = app.provider.label
    if not kept or not state or not secrets.compare_digest(str(kept["state"]), state) \
            or datetime.fromisoformat(kept["until"]) <= now_utc():
        raise ConsentError(gettext("This %(provider)s sign-in is not the one started here, or it took more than ten "
                                   "minutes. Please connect again.", provider=label))
    if error or not code:
        raise ConsentError(gettext("%(provider)s was not connected: access was not allowed.", provider=label)
                           if error == "access_denied" else
                           gettext("%(provider)s was not connected (%(error)s).", provider=label,
                                   error=(error or "no code")[:80]))
    token = _token_call(app, lambda oauth: oauth.fetch_token(app.token_url, grant_type="authorization_code",
                                                             code=code, code_verifier=kept["verifier"],
                                                             timeout=app.timeout))
    tokens = _tokens(token, None)
    withheld = _withheld(app, token.get("scope"))
    if withheld:  # a grant LinkTime cannot work with is not kept, nor left at the provider
        revoke(app, tokens)
        asked = "; ".join(f"“{scope.purpose}”" for scope in withheld)
        raise ConsentError(gettext("%(provider)s was not connected: LinkTime needs every permission it asks for, and "
                                   "these were not given: %(asked)s. Please connect again and leave every box ticked "
                                   "on %(company)s’s page.", provider=label, asked=asked,
                                   company=kind_of(app.provider).company))
    return tokens, _claims(token.get("id_token"))


def _withheld(app: OAuthApp, granted: Any) -> list[Scope]:
    """The permissions the user unticked on the consent page (where the provider lets them), from
    the token answer's ``scope``; an answer without it granted all."""
    if not isinstance(granted, str) or not app.withholdable:
        return []
    given = set(granted.split())
    return [scope for scope in app.scopes if scope.name.startswith(app.withholdable) and scope.name not in given]


def _claims(id_token: str | None) -> dict[str, Any]:
    """The claims of an ID token received straight from the token endpoint over TLS (OpenID
    Connect Core 3.1.3.7: its signature need not be checked then)."""
    try:
        payload = str(id_token).split(".")[1]
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return claims
    except (IndexError, ValueError, TypeError):
        return {}


def _tokens(token: dict[str, Any], previous_refresh: str | None) -> Tokens:
    access, refresh = token.get("access_token"), token.get("refresh_token") or previous_refresh
    if not access or not refresh:
        raise Unreachable("the token answer had no tokens in it")
    try:
        expires_in = int(token.get("expires_in") or 3599)
    except (TypeError, ValueError):
        expires_in = 3599
    return Tokens(str(access), str(refresh), now_utc() + timedelta(seconds=expires_in))


def _token_call(app: OAuthApp, call: Callable[[Any], Any]) -> dict[str, Any]:
    from authlib.integrations.base_client.errors import OAuthError

    label = app.provider.label
    try:
        with deadline(app.timeout), _session(app) as oauth:  # in all, however slowly the answer comes
            return dict(call(oauth))
    except OAuthError as exc:
        if exc.error == "invalid_grant":
            raise WrongPassword(f"{label} refused LinkTime's access: it was revoked or has expired") from None
        raise CalendarError(f"{label} refused the request ({exc.error})") from None
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status == 429 or status >= 500:
            raise Unreachable(f"{label} could not be reached (HTTP {status})") from None
        raise CalendarError(f"{label} refused the request (HTTP {status})") from None
    except requests.RequestException as exc:
        raise Unreachable(f"{label} could not be reached ({type(exc).__name__})") from None
    except (ValueError, TypeError, KeyError):
        raise Unreachable(f"{label}'s token answer could not be read") from None


def revoke(app: OAuthApp, tokens: Tokens | None) -> bool:
    """Revoke the grant at the provider where it has a way (Google); True when it said yes."""
    if app.revoke_url is None or tokens is None:
        return False
    try:
        with deadline(app.timeout), bounded_session() as session:
            answer = session.post(app.revoke_url, data={"token": tokens.refresh_token}, timeout=app.timeout)
    except requests.RequestException:
        return False
    return answer.status_code == 200


# ---------------------------------------------------------------------------- a fresh access token


def _tokens_of(connection: CalendarConnection) -> Tokens:
    tokens = Tokens.from_json(connection.secret)
    if tokens is None:
        raise WrongPassword(f"LinkTime's access to {connection.provider_kind.label} cannot be read")
    return tokens


def _renew(connection: CalendarConnection) -> None:
    tokens, app = _tokens_of(connection), app_for(connection.provider_kind)
    connection.secret = _tokens(_token_call(app, lambda oauth: oauth.refresh_token(
        app.token_url, refresh_token=tokens.refresh_token, timeout=app.timeout)), tokens.refresh_token).to_json()
    current_app.logger.info("refreshed the %s access of calendar account %s", connection.provider, connection.id)


GRANT: token_renewal.Grant[CalendarConnection, str] = token_renewal.Grant(
    model=CalendarConnection, renew=_renew, current=lambda c: _tokens_of(c).access_token,
    refused=WrongPassword, give_up=lambda connection, exc: None,  # the caller marks it, as for any refusal
    dead=lambda c: None,
    busy=lambda: Unreachable("another process is renewing this account's access; trying again shortly"),
    gone=lambda: WrongPassword("This calendar account was disconnected"))


def access_token(connection: CalendarConnection, *, force: bool = False) -> str:
    """A usable access token for the account, renewed when it is about to expire (or ``force``:
    it was just refused) once across every process, on a session of its own (the caller's is left
    alone)."""
    tokens = _tokens_of(connection)
    if not force and tokens.expires_at > now_utc() + MARGIN:
        return tokens.access_token
    with Session(db.engine, expire_on_commit=False) as session:
        return token_renewal.renew(GRANT, connection.id, connection.token_version, session)
