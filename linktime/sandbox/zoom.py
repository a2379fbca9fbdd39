"""A Zoom look-alike for development, demos and tests, over real HTTP on its own port.

It speaks the wire protocol of reference/zoom-api.md: a consent screen with Allow and Deny,
Basic-authenticated token endpoint, single-use 5-minute codes with PKCE, 1-hour access tokens
against a clock tests can move, refresh tokens that rotate with no grace, 201/204 answers,
code 3001 for unknown meetings, and signed deauthorization webhooks. It can be told to fail.
Control endpoints for tests and demos live under /sandbox/ (see the page at /sandbox). One idea:
the length is the route table.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import requests
from flask import Blueprint, Response, abort, current_app, g, jsonify, redirect, render_template_string, request
from werkzeug.local import LocalProxy

from linktime.conferencing.zoom.client import SCOPE_LIST, granted
from linktime.sandbox.app_client import client_id, client_secret

CODE_LIFETIME = timedelta(minutes=5)
ACCESS_LIFETIME = timedelta(hours=1)


@dataclass
class Grant:
    """One consent: the tokens issued under it rotate, and revoking any ends all of them."""

    user_email: str
    scopes: str
    access: dict[str, datetime] = field(default_factory=dict)  # token -> expiry
    refresh: str | None = None
    active: bool = True


@dataclass
class Fault:
    """A misbehaviour for the next ``remaining`` matching requests.

    Kinds: "error", "rate_limit", "daily_limit", "hang", "garbage" answer instead of acting;
    "lost_answer" acts, then drops the connection before answering (the caller cannot know);
    "hold" waits, before acting, until the test releases it (``arrived`` / ``release``).
    ``method`` and ``path`` narrow which requests it hits (e.g. POST /v2/users/me/meetings).
    """

    kind: str
    remaining: int
    status: int = 503
    seconds: float = 15.0
    method: str | None = None
    path: str | None = None
    arrived: threading.Event = field(default_factory=threading.Event, repr=False)
    release: threading.Event = field(default_factory=threading.Event, repr=False)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path == path)

    def describe(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("arrived", "release")}


class SandboxState:
    def __init__(self, webhook_secret: str):
        self.lock = threading.RLock()
        self.webhook_secret = webhook_secret
        self.clock_offset = timedelta(0)
        self.codes: dict[str, dict] = {}
        self.grants: list[Grant] = []
        self.meetings: dict[int, dict] = {}
        self.users: dict[str, dict] = {}
        self.faults: list[Fault] = []
        self.log: list[dict] = []
        self.revoked: list[str] = []
        self.next_meeting_id = 81234567890

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def user(self, email: str) -> dict:
        if email not in self.users:
            self.users[email] = {
                "id": "u" + hashlib.sha256(email.encode()).hexdigest()[:20],
                "email": email,
                "first_name": email.split("@")[0].title(),
                "last_name": "Sandbox",
                "account_id": "acc" + hashlib.sha256(email.encode()).hexdigest()[:10],
                "type": 2,
                "timezone": "UTC",
            }
        return self.users[email]

    def add_fault(self, kind: str, *, count: int = 1, **options) -> Fault:
        fault = Fault(kind=kind, remaining=count, **options)
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            fault = next((f for f in self.faults if f.matches(method, path)), None)
            if fault is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
            return fault

    def grant_for_access(self, token: str) -> Grant | None:
        for grant in self.grants:
            if grant.active and token in grant.access:
                return grant
        return None

    def snapshot(self) -> dict:
        return {
            "meetings": list(self.meetings.values()),
            "grants": [{"user_email": g.user_email, "active": g.active, "scopes": g.scopes} for g in self.grants],
            "revoked": list(self.revoked),
            "log": list(self.log),
            "faults": [f.describe() for f in self.faults],
            "clock": self.now().isoformat(),
        }


CONSENT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Zoom sandbox · Authorize</title><link rel="icon" href="data:,">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}
.badge{background:#ffe08a;padding:.2rem .5rem;border-radius:.3rem;font-size:.8rem}
button{font-size:1rem;padding:.6rem 1.4rem;margin-right:.5rem;border-radius:.4rem;border:1px solid #0b5cff;cursor:pointer}
.allow{background:#0b5cff;color:#fff}.deny{background:#fff;color:#0b5cff}label{display:block;margin:.8rem 0 .3rem}
input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}li{margin:.3rem 0}</style></head><body>
<p><span class="badge">Zoom sandbox</span> — not the real Zoom; nothing leaves this machine.</p>
<h1>LinkTime would like to access your Zoom account</h1>
<p>LinkTime is requesting permission to:</p>
<ul>{% for s in scopes %}<li>{{ s }}</li>{% endfor %}</ul>
<form method="post">
  {% for k, v in params.items() %}<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
  <label for="email">Sign in to the sandbox as</label>
  <input id="email" name="email" type="email" value="{{ email }}" required>
  <p><button class="allow" name="decision" value="allow" type="submit">Allow</button>
     <button class="deny" name="decision" value="deny" type="submit">Deny</button></p>
</form></body></html>"""

SCOPE_WORDS = {scope.name: scope.purpose for scope in SCOPE_LIST}


bp = Blueprint("zoom_sandbox", __name__)
# The state of the sandbox app serving these routes (made by linktime.sandbox.create_sandbox).
state: SandboxState = LocalProxy(lambda: current_app.extensions["zoom_sandbox"])  # type: ignore[assignment]


def oauth_error(reason: str, error: str, status: int = 400) -> Response:
    response = jsonify({"reason": reason, "error": error})
    response.status_code = status
    return response

def api_error(code: int, message: str, status: int) -> Response:
    response = jsonify({"code": code, "message": message})
    response.status_code = status
    return response

def client_ok() -> bool:
    auth = request.authorization
    return bool(auth and auth.username == client_id() and hmac.compare_digest(auth.password or "", client_secret()))

@bp.before_app_request
def record_and_inject_faults():
    if request.path.startswith("/sandbox") or request.path.startswith("/j/") or request.path == "/oauth/authorize":
        return None
    with state.lock:
        state.log.append({"method": request.method, "path": request.path, "at": state.now().isoformat()})
    fault = state.take_fault(request.method, request.path)
    if fault is None:
        return None
    if fault.kind == "hold":
        fault.arrived.set()
        fault.release.wait(timeout=fault.seconds)
        return None
    if fault.kind == "lost_answer":
        g.drop_answer = True
        return None
    if fault.kind == "hang":
        time.sleep(fault.seconds)
        return api_error(503, "The sandbox was told to hang.", 503)
    if fault.kind == "rate_limit":
        return Response(
            json.dumps(
                {
                    "code": 429,
                    "message": "You have reached the maximum per-second rate limit for this API. Try again later.",
                }
            ),
            status=429,
            headers={"Retry-After": "1"},
            content_type="application/json",
        )
    if fault.kind == "daily_limit":
        return api_error(
            429,
            "You have exceeded the daily rate limit (100) of Create/Update meeting API requests "
            "permitted for this particular user. You may resume these requests at 00:00 GMT.",
            429,
        )
    if fault.kind == "garbage":
        return Response(
            "<?xml version='1.0'?><error>upstream</error>", status=fault.status, content_type="text/xml"
        )
    return Response("", status=fault.status)

@bp.after_app_request
def drop_the_answer(response: Response) -> Response:
    """After acting: close the connection instead of answering, as a lost answer looks."""
    if g.get("drop_answer"):
        connection = request.environ.get("werkzeug.socket")
        if connection is not None:
            connection.shutdown(socket.SHUT_RDWR)
    return response

# ------------------------------------------------------------------ OAuth
@bp.route("/oauth/authorize", methods=["GET", "POST"])
def authorize():
    params = request.values
    if params.get("client_id") != client_id():
        return Response("<h1>Application not found</h1><p>Invalid client_id().</p>", status=400)
    if params.get("response_type") != "code" or not params.get("redirect_uri"):
        return Response("<h1>Invalid request</h1>", status=400)
    redirect_uri, oauth_state = params["redirect_uri"], params.get("state", "")
    if request.method == "GET":
        scopes = [SCOPE_WORDS.get(s, s) for s in params.get("scope", "").split()]
        keep = {k: params[k] for k in ("client_id", "response_type", "redirect_uri", "state", "scope",
                                       "code_challenge", "code_challenge_method") if k in params}
        return render_template_string(CONSENT, scopes=scopes, params=keep, email="host@zoom-sandbox.test")
    sep = "&" if "?" in redirect_uri else "?"
    if params.get("decision") != "allow":
        return redirect(f"{redirect_uri}{sep}{urlencode({'error': 'access_denied', 'state': oauth_state})}")
    code = secrets.token_urlsafe(24)
    with state.lock:
        state.codes[code] = {
            "redirect_uri": redirect_uri, "email": params.get("email") or "host@zoom-sandbox.test",
            "scopes": params.get("scope", ""), "challenge": params.get("code_challenge"),
            "expires": state.now() + CODE_LIFETIME,
        }
    return redirect(f"{redirect_uri}{sep}{urlencode({'code': code, 'state': oauth_state})}")

def issue(grant: Grant) -> dict:
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    grant.access[access] = state.now() + ACCESS_LIFETIME
    grant.refresh = refresh
    return {"access_token": access, "token_type": "bearer", "refresh_token": refresh,
            "expires_in": int(ACCESS_LIFETIME.total_seconds()) - 1, "scope": grant.scopes}

@bp.post("/oauth/token")
def token():
    if not client_ok():
        return oauth_error("Invalid client_id() or client_secret", "invalid_client", 401)
    form = request.form
    with state.lock:
        if form.get("grant_type") == "authorization_code":
            entry = state.codes.pop(form.get("code", ""), None)  # single use
            if entry is None or entry["expires"] < state.now():
                return oauth_error("Invalid authorization code", "invalid_grant")
            if form.get("redirect_uri") != entry["redirect_uri"]:
                return oauth_error("Redirect URI mismatch.", "invalid_request")
            if entry["challenge"]:
                verifier = form.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if not hmac.compare_digest(digest, entry["challenge"]):
                    return oauth_error("Invalid code_verifier", "invalid_grant")
            state.user(entry["email"])
            grant = Grant(user_email=entry["email"], scopes=entry["scopes"])
            state.grants.append(grant)
            return jsonify(issue(grant))
        if form.get("grant_type") == "refresh_token":
            given = form.get("refresh_token", "")
            for grant in state.grants:
                if grant.active and grant.refresh and hmac.compare_digest(grant.refresh, given):
                    return jsonify(issue(grant))  # the old refresh token stops working now
            return oauth_error("Invalid Token!", "invalid_grant")
    return oauth_error("Unsupported grant type", "unsupported_grant_type")

@bp.post("/oauth/revoke")
def revoke():
    if not client_ok():
        return oauth_error("Invalid client_id() or client_secret", "invalid_client", 401)
    given = request.form.get("token", "")
    with state.lock:
        for grant in state.grants:
            if grant.refresh == given or given in grant.access:
                grant.active = False
                state.revoked.append(grant.user_email)
    return jsonify({"status": "success"})

# ------------------------------------------------------------------ REST API
def bearer_user(scope: str | None = None) -> dict:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip()
    with state.lock:
        grant = state.grant_for_access(token)
        if grant is None or grant.access[token] < state.now():
            abort(api_error(124, "Invalid access token.", 401))
        if scope and not granted(grant.scopes, scope):
            abort(api_error(4711, f"Invalid access token, does not contain scopes:[{scope}].", 400))
        return state.user(grant.user_email)

@bp.get("/v2/users/me")
def me():
    return jsonify(bearer_user("user:read:user"))

@bp.post("/v2/users/me/meetings")
def create_meeting():
    user = bearer_user("meeting:write:meeting")
    body = request.get_json(silent=True) or {}
    if not body.get("start_time") or body.get("type") not in (2, 8):
        return api_error(300, "Invalid meeting start_time or type.", 400)
    with state.lock:
        meeting_id = state.next_meeting_id
        state.next_meeting_id += 7919
        password = secrets.token_hex(3)
        base = request.host_url.rstrip("/")
        meeting = {
            "id": meeting_id, "uuid": secrets.token_urlsafe(16), "host_email": user["email"],
            "topic": body.get("topic", ""), "type": body["type"], "start_time": body["start_time"],
            "duration": body.get("duration", 30), "timezone": body.get("timezone", "UTC"),
            "agenda": body.get("agenda", ""), "settings": body.get("settings", {}), "password": password,
            "join_url": f"{base}/j/{meeting_id}?pwd={password}",
            "start_url": f"{base}/s/{meeting_id}?zak={secrets.token_urlsafe(24)}",
            "created_at": state.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "deleted": False,
        }
        state.meetings[meeting_id] = meeting
    return jsonify({k: v for k, v in meeting.items() if k != "deleted"}), 201

@bp.get("/v2/users/me/meetings")
def list_meetings():
    """Upcoming scheduled meetings, a page at a time (``next_page_token``)."""
    user = bearer_user("meeting:read:list_meetings")
    size = max(1, min(300, request.args.get("page_size", 30, type=int)))
    offset = request.args.get("next_page_token", 0, type=int)
    with state.lock:
        now = state.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        mine = [m for m in state.meetings.values()
                if m["host_email"] == user["email"] and not m["deleted"] and m["start_time"] >= now]
    page = mine[offset:offset + size]
    listed = [{k: m[k] for k in ("id", "uuid", "topic", "type", "start_time", "duration", "timezone",
                                 "agenda", "join_url", "created_at")} for m in page]
    more = offset + size < len(mine)
    return jsonify({"page_size": size, "total_records": len(mine), "meetings": listed,
                    "next_page_token": str(offset + size) if more else ""})

def find_meeting(meeting_id: int, user: dict) -> dict:
    meeting = state.meetings.get(meeting_id)
    if meeting is None or meeting["deleted"] or meeting["host_email"] != user["email"]:
        abort(api_error(3001, "Meeting is not found or has expired.", 404))
    return meeting

@bp.patch("/v2/meetings/<int:meeting_id>")
def update_meeting(meeting_id: int):
    user = bearer_user("meeting:update:meeting")
    with state.lock:
        meeting = find_meeting(meeting_id, user)
        body = request.get_json(silent=True) or {}
        for key in ("topic", "start_time", "duration", "timezone", "agenda", "settings"):
            if key in body:
                meeting[key] = body[key]
    return Response(status=204)

@bp.delete("/v2/meetings/<int:meeting_id>")
def delete_meeting(meeting_id: int):
    user = bearer_user("meeting:delete:meeting")
    with state.lock:
        find_meeting(meeting_id, user)["deleted"] = True
    return Response(status=204)

@bp.get("/j/<int:meeting_id>")
def join(meeting_id: int):
    meeting = state.meetings.get(meeting_id)
    if meeting is None or meeting["deleted"]:
        return Response("<h1>This meeting is not found or has expired.</h1>", status=404)
    return Response(f"<h1>Zoom sandbox</h1><p>You joined “{meeting['topic']}”.</p>")

# ------------------------------------------------------------------ control (tests, demos)
@bp.get("/sandbox/state")
def sandbox_state():
    with state.lock:
        return jsonify(state.snapshot())

@bp.post("/sandbox/faults")
def add_fault():
    body = request.get_json(silent=True) or request.form
    fault = state.add_fault(body.get("kind", "error"), count=int(body.get("count", 1)),
                            status=int(body.get("status", 503)), seconds=float(body.get("seconds", 15)),
                            method=body.get("method") or None, path=body.get("path") or None)
    return jsonify(fault.describe())

@bp.post("/sandbox/faults/clear")
def clear_faults():
    with state.lock:
        state.faults.clear()
    return jsonify({"faults": []})

@bp.post("/sandbox/clock")
def move_clock():
    body = request.get_json(silent=True) or request.form
    with state.lock:
        state.clock_offset += timedelta(seconds=float(body.get("advance", 0)))
        return jsonify({"clock": state.now().isoformat()})

@bp.post("/sandbox/expire-access-tokens")
def expire_access_tokens():
    with state.lock:
        for grant in state.grants:
            for token in grant.access:
                grant.access[token] = state.now() - timedelta(seconds=1)
    return jsonify({"ok": True})

@bp.post("/sandbox/revoke-refresh-tokens")
def revoke_refresh_tokens():
    with state.lock:
        for grant in state.grants:
            grant.refresh = None
    return jsonify({"ok": True})

@bp.post("/sandbox/deauthorize")
def deauthorize():
    """Act as if the user removed the app in the Marketplace: revoke, then send the webhook."""
    body = request.get_json(silent=True) or request.form
    email = body.get("email", "host@zoom-sandbox.test")
    url = body.get("webhook_url") or current_app.config["WEBHOOK_URL"]
    with state.lock:
        user = state.user(email)
        for grant in state.grants:
            if grant.user_email == email:
                grant.active = False
    payload = {"event": "app_deauthorized", "event_ts": int(time.time() * 1000), "payload": {
        "account_id": user["account_id"], "user_id": user["id"], "signature": secrets.token_hex(16),
        "deauthorization_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "client_id": client_id()}}
    if not url:
        return jsonify({"sent": False, "payload": payload})
    status = send_webhook(url, payload, state.webhook_secret)
    return jsonify({"sent": True, "status": status, "payload": payload})

@bp.get("/sandbox")
def dashboard():
    with state.lock:
        meetings = list(state.meetings.values())
    rows = "".join(
        f"<tr><td>{m['id']}</td><td>{m['topic']}</td><td>{m['start_time']}</td>"
        f"<td>{'deleted' if m['deleted'] else 'scheduled'}</td></tr>" for m in meetings
    ) or "<tr><td colspan=4>No meetings yet.</td></tr>"
    return Response(
        "<!doctype html><title>Zoom sandbox</title><h1>Zoom sandbox</h1>"
        "<p><a href='/sandbox/calendars'>Google Calendar and Outlook sandbox</a></p>"
        "<p>A Zoom look-alike for trying LinkTime. Control endpoints: POST /sandbox/faults "
        "{kind: error|rate_limit|daily_limit|hang|garbage|lost_answer, count, method, path}, /sandbox/clock {advance}, "
        "/sandbox/expire-access-tokens, /sandbox/revoke-refresh-tokens, /sandbox/deauthorize {email}.</p>"
        f"<table border=1 cellpadding=4><tr><th>ID</th><th>Topic</th><th>Start</th><th>State</th></tr>{rows}</table>"
    )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def send_webhook(url: str, payload: dict, secret: str, *, timestamp: str | None = None) -> int:
    """POST a signed event the way Zoom does; returns the HTTP status the receiver answered."""
    body = json.dumps(payload).encode()
    timestamp = timestamp or str(int(time.time()))
    response = requests.post(url, data=body, timeout=10, headers={
        "Content-Type": "application/json", "x-zm-request-timestamp": timestamp,
        "x-zm-signature": sign(secret, timestamp, body)})
    return response.status_code
