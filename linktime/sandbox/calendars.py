"""Google Calendar and Outlook (Microsoft Graph) look-alikes, served by the sandbox process.

One module, one idea: the two providers share the consent flow, the token grants and the
calendars' state, so they are played together; the length is the route table.

Without Google or Microsoft credentials LinkTime connects to these, through exactly the same
client code as the real services (only the base URLs differ): consent screens with Allow and Deny,
the authorization-code grant with PKCE, refresh (Microsoft's refresh tokens rotate) and revoke,
calendar lists, free/busy (Google) and calendarView (Microsoft), and events created, patched and
deleted under LinkTime's ids (Google's client-chosen ``id``: 409 the second time; Microsoft's
``transactionId``: the same event again). Each account starts with a few busy events. The page
``/sandbox/calendars`` shows what each calendar holds and marks a busy hour; faults are injected
like Zoom's (``POST /sandbox/faults`` with a path under /google or /microsoft).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template_string, request
from markupsafe import escape
from werkzeug.local import LocalProxy

from linktime.sandbox.app_client import client_id, client_secret

ACCESS_LIFETIME = timedelta(hours=1)
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
PROVIDERS = {"google": "Google", "microsoft": "Microsoft"}

CONSENT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ name }} sandbox · Sign in</title>
<link rel="icon" href="data:,">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}
.badge{background:#ffe08a;padding:.2rem .5rem;border-radius:.3rem;font-size:.8rem}
button{font-size:1rem;padding:.6rem 1.4rem;margin-right:.5rem;border-radius:.4rem;border:1px solid #1a73e8;cursor:pointer}
.allow{background:#1a73e8;color:#fff}.deny{background:#fff;color:#1a73e8}label{display:block;margin:.8rem 0 .3rem}
input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}
li label{display:inline;margin:0}li input[type=checkbox]{width:auto;margin-right:.4rem}</style></head><body>
<p><span class="badge">{{ name }} sandbox</span></p>
<h1>LinkTime wants to access your {{ name }} account</h1>
<form method="post">{% for k, v in params.items() %}<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
  <p>This lets LinkTime:</p><ul>{% for name, purpose, optional in scopes %}<li>{% if optional %}<label>
  <input type="checkbox" name="granted" value="{{ name }}" checked> {{ purpose }}</label>{% else %}{{ purpose }}{% endif %}
  </li>{% endfor %}</ul>
  <label for="email">Sign in as</label><input id="email" name="email" value="{{ email }}">
  <p><button class="allow" name="decision" value="allow" type="submit">Allow</button>
     <button class="deny" name="decision" value="deny" type="submit">Deny</button></p>
</form></body></html>"""

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Calendar sandbox</title>
<link rel="icon" href="data:,">
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}
label{margin-right:1rem}</style></head><body>
<h1>Calendar sandbox</h1><p>Google and Outlook look-alikes for trying LinkTime. <a href="/sandbox">Zoom sandbox</a></p>
{% for acc in accounts %}<h2>{{ acc.provider }} · {{ acc.email }}{% if acc.revoked %} (access revoked){% endif %}</h2>
{% for cal in acc.calendars %}<h3>{{ cal.name }}</h3>
<table><thead><tr><th>Start (UTC)</th><th>End</th><th>Title</th><th>Where</th></tr></thead><tbody>
{% for e in cal.events %}<tr><td>{{ e.start }}</td><td>{{ e.end }}</td><td>{{ e.title }}</td><td>{{ e.where }}</td></tr>
{% else %}<tr><td colspan="4">No events.</td></tr>{% endfor %}</tbody></table>
<form method="post" action="/sandbox/calendars/busy"><input type="hidden" name="provider" value="{{ acc.key }}">
<input type="hidden" name="email" value="{{ acc.email }}"><input type="hidden" name="calendar" value="{{ cal.id }}">
<label>Busy from (UTC) <input name="start" placeholder="2026-12-03T15:00"></label>
<label>for minutes <input name="minutes" value="60" size="4"></label>
<label>title <input name="title" value="Busy"></label><button type="submit">Mark busy in {{ cal.name }}</button></form>
{% endfor %}{% else %}<p>No account has connected yet.</p>{% endfor %}</body></html>"""


class CalendarSandboxState:
    def __init__(self, now=lambda: datetime.now(UTC)):
        self.lock = threading.Lock()
        self.now = now
        self.accounts: dict[tuple[str, str], dict] = {}  # (provider, email) -> calendars, revoked
        self.codes: dict[str, dict] = {}
        self.access: dict[str, dict] = {}  # token -> provider, email, expires
        self.refresh: dict[str, dict] = {}  # token -> provider, email
        self.conferences: dict[str, dict] = {}  # Meet: requestId -> link, and whether it was read once
        # What Exchange mails an Outlook event's attendees: {"to", "kind" (request/update/cancel), "subject"}
        self.invitations: list[dict] = []

    def invite(self, ev: dict, kind: str) -> None:
        """Exchange sends each attendee of an event its own request, update or cancellation."""
        self.invitations.extend({"to": address, "kind": kind, "subject": ev["title"]}
                                for address in ev.get("attendees", []))

    def account(self, provider: str, email: str) -> dict:
        key = (provider, email)
        if key not in self.accounts:
            tomorrow = datetime.combine(self.now().date() + timedelta(days=1), time(0), UTC)
            primary = (
                email
                if provider == "google"
                else "AAMkAGI2-calendar-" + hashlib.sha256(email.encode()).hexdigest()[:12]
            )
            seeded = {
                "sandbox-seed-1": _event("Team lunch", tomorrow + timedelta(hours=17), timedelta(hours=1)),
                "sandbox-seed-2": _event("Dentist", tomorrow + timedelta(days=1, hours=14), timedelta(minutes=90)),
                "sandbox-seed-3": _event("Out of office (free)", tomorrow + timedelta(hours=19), timedelta(hours=2),
                                         free=True),
            }
            self.accounts[key] = {"revoked": False, "calendars": {
                primary: {"name": email if provider == "google" else "Calendar", "primary": True, "events": seeded},
                f"family-{provider}": {"name": "Family", "primary": False, "events": {}},
            }}
        return self.accounts[key]

    def grant(self, provider: str, email: str, scopes: list[str]) -> dict:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        held = {"provider": provider, "email": email, "scopes": scopes}
        self.access[access] = {**held, "expires": self.now() + ACCESS_LIFETIME}
        self.refresh[refresh] = held
        self.account(provider, email)["revoked"] = False
        return {"access_token": access, "refresh_token": refresh, "expires_in": int(ACCESS_LIFETIME.total_seconds()),
                "token_type": "Bearer", "scope": " ".join(scopes)}

    def revoke(self, provider: str, email: str) -> None:
        for table in (self.access, self.refresh):
            for token in [t for t, g in table.items() if (g["provider"], g["email"]) == (provider, email)]:
                del table[token]
        if (provider, email) in self.accounts:
            self.accounts[(provider, email)]["revoked"] = True

    def snapshot(self) -> list[dict]:
        with self.lock:
            return [
                {
                    "provider": PROVIDERS[p],
                    "key": p,
                    "email": e,
                    "revoked": acc["revoked"],
                    "calendars": [
                        {
                            "id": cid,
                            "name": cal["name"],
                            "events": sorted(
                                (
                                    {
                                        "id": eid,
                                        "start": ev["start"].strftime("%Y-%m-%d %H:%M"),
                                        "end": ev["end"].strftime("%H:%M"),
                                        "title": ev["title"],
                                        "free": ev.get("free", False),
                                        "where": ev.get("location")
                                        or (self.conferences.get(ev.get("conference", "")) or {}).get("link", ""),
                                    }
                                    for eid, ev in cal["events"].items()
                                    if not ev.get("cancelled")
                                ),
                                key=lambda x: x["start"],
                            ),
                        }
                        for cid, cal in acc["calendars"].items()
                    ],
                }
                for (p, e), acc in self.accounts.items()
            ]


def _event(title: str, start: datetime, length: timedelta, *, free: bool = False, **more) -> dict:
    return {"title": title, "start": start, "end": start + length, "free": free, **more}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _id_token(email: str) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'email': email, 'email_verified': True, 'iss': 'sandbox'})}."


bp = Blueprint("calendar_sandbox", __name__)
# The state of the sandbox app serving these routes (made by linktime.sandbox.create_sandbox).
state: CalendarSandboxState = LocalProxy(lambda: current_app.extensions["calendar_sandbox"])  # type: ignore[assignment]


def google_error(status: int, message: str, reason: str = "") -> Response:
    body = {"error": {"code": status, "message": message,
                      "errors": [{"reason": reason or "backendError", "message": message}]}}
    return Response(json.dumps(body), status=status, content_type="application/json")

def graph_error(status: int, code: str, message: str) -> Response:
    return Response(json.dumps({"error": {"code": code, "message": message}}), status=status,
                    content_type="application/json")

def oauth_error(error: str, description: str = "", status: int = 400) -> Response:
    return Response(json.dumps({"error": error, "error_description": description}), status=status,
                    content_type="application/json")

def bearer(provider: str) -> dict | None:
    token = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
    with state.lock:
        grant = state.access.get(token)
        if grant is None or grant["provider"] != provider or grant["expires"] <= state.now():
            return None
        return state.account(provider, grant["email"])

def lacks(scope: str) -> Response | None:
    """Google's answer to a token the user did not grant ``scope`` to (they unticked it)."""
    token = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
    with state.lock:
        grant = state.access.get(token) or {}
    if scope in grant.get("scopes", [scope]):
        return None
    return google_error(403, "Request had insufficient authentication scopes.", "insufficientPermissions")

# ------------------------------------------------------------------ consent and tokens

def consent(provider: str):
    params = request.values
    if params.get("client_id") != client_id() or params.get("response_type") != "code":
        return Response("<h1>Error 400: invalid_request</h1><p>Unknown client or response type.</p>", status=400)
    redirect_uri, oauth_state = params.get("redirect_uri", ""), params.get("state", "")
    if request.method == "GET":
        keep = {k: params[k] for k in ("client_id", "response_type", "redirect_uri", "state", "scope",
                                       "code_challenge", "code_challenge_method") if k in params}
        keep["chosen"] = "1"  # the boxes below say what is granted
        from linktime.calendars.google import SCOPES as GOOGLE_SCOPES
        from linktime.calendars.microsoft import SCOPES as MICROSOFT_SCOPES

        words = {s.name: s.purpose for s in (*GOOGLE_SCOPES, *MICROSOFT_SCOPES)}
        # Google lets the user untick each calendar permission; Microsoft's consent is all or nothing.
        scopes = [(s, words.get(s, s), provider == "google" and s.startswith(CALENDAR_SCOPE))
                  for s in params.get("scope", "").split()]
        email = "host@gmail-sandbox.test" if provider == "google" else "host@outlook-sandbox.test"
        return render_template_string(CONSENT, name=PROVIDERS[provider], scopes=scopes, params=keep, email=email)
    sep = "&" if "?" in redirect_uri else "?"
    if params.get("decision") != "allow":
        return redirect(f"{redirect_uri}{sep}{urlencode({'error': 'access_denied', 'state': oauth_state})}")
    code = secrets.token_urlsafe(24)
    with state.lock:
        asked = params.get("scope", "").split()
        ticked = set(params.getlist("granted")) if params.get("chosen") else set(asked)
        granted = [s for s in asked if not s.startswith(CALENDAR_SCOPE) or provider != "google" or s in ticked]
        state.codes[code] = {"provider": provider, "email": params.get("email") or "host@sandbox.test",
                             "scopes": granted,
                             "redirect_uri": redirect_uri, "challenge": params.get("code_challenge"),
                             "expires": state.now() + timedelta(minutes=10)}
    return redirect(f"{redirect_uri}{sep}{urlencode({'code': code, 'state': oauth_state})}")

def token(provider: str):
    form = request.form
    if form.get("client_id") != client_id() or not hmac.compare_digest(form.get("client_secret", ""), client_secret()):
        return oauth_error("invalid_client", "The client id or secret is wrong.", 401)
    with state.lock:
        if form.get("grant_type") == "authorization_code":
            grant = state.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if grant is None or grant["provider"] != provider or grant["expires"] <= state.now() \
                    or grant["redirect_uri"] != form.get("redirect_uri") or grant["challenge"] != challenge:
                return oauth_error("invalid_grant", "Bad code, redirect URI or code verifier.")
            issued = state.grant(provider, grant["email"], grant["scopes"])
            if provider == "google":
                issued["id_token"] = _id_token(grant["email"])
            return jsonify(issued)
        if form.get("grant_type") == "refresh_token":
            held = state.refresh.get(form.get("refresh_token", ""))
            if held is None or held["provider"] != provider:
                return oauth_error("invalid_grant", "Token has been expired or revoked.")
            access = secrets.token_urlsafe(24)
            state.access[access] = {**held, "expires": state.now() + ACCESS_LIFETIME}
            issued = {"access_token": access, "expires_in": int(ACCESS_LIFETIME.total_seconds()),
                      "token_type": "Bearer", "scope": " ".join(held["scopes"])}
            if provider == "microsoft":  # refresh tokens rotate
                del state.refresh[form["refresh_token"]]
                issued["refresh_token"] = secrets.token_urlsafe(32)
                state.refresh[issued["refresh_token"]] = held
            return jsonify(issued)
    return oauth_error("unsupported_grant_type")

bp.add_url_rule("/google/o/oauth2/v2/auth", "google_consent", lambda: consent("google"), methods=["GET", "POST"])
bp.add_url_rule("/google/token", "google_token", lambda: token("google"), methods=["POST"])
bp.add_url_rule("/microsoft/<tenant>/oauth2/v2.0/authorize", "microsoft_consent",
                lambda tenant: consent("microsoft"), methods=["GET", "POST"])
bp.add_url_rule("/microsoft/<tenant>/oauth2/v2.0/token", "microsoft_token",
                lambda tenant: token("microsoft"), methods=["POST"])

@bp.post("/google/revoke")
def google_revoke():
    value = request.form.get("token", "")
    with state.lock:
        grant = state.refresh.get(value) or state.access.get(value)
        if grant is None:
            return oauth_error("invalid_token", "Token expired or revoked")
        state.revoke("google", grant["email"])
    return jsonify({})

# ------------------------------------------------------------------ Google Calendar API v3

@bp.get("/google/calendar/v3/users/me/calendarList")
@bp.get("/google/calendar/v3/users/me/calendarList/<which>")
def google_calendar_list(which: str | None = None):
    account = bearer("google")
    if account is None:
        return google_error(401, "Request had invalid authentication credentials.", "authError")
    if (refused := lacks("https://www.googleapis.com/auth/calendar.calendarlist.readonly")) is not None:
        return refused
    with state.lock:
        items = [{"id": cid, "summary": cal["name"], "primary": cal["primary"], "accessRole": "owner"}
                 for cid, cal in account["calendars"].items()]
    if which == "primary":
        return jsonify(next(item for item in items if item["primary"]))
    return jsonify({"kind": "calendar#calendarList", "items": items})

@bp.post("/google/calendar/v3/freeBusy")
def google_free_busy():
    account = bearer("google")
    if account is None:
        return google_error(401, "Request had invalid authentication credentials.", "authError")
    if (refused := lacks("https://www.googleapis.com/auth/calendar.events.freebusy")) is not None:
        return refused
    body = request.get_json(silent=True) or {}
    try:
        start, end = _parse(body["timeMin"]), _parse(body["timeMax"])
    except (KeyError, ValueError):
        return google_error(400, "Bad Request", "badRequest")
    answer = {}
    with state.lock:
        for item in body.get("items", []):
            cal = account["calendars"].get(item.get("id"))
            if cal is None:
                answer[item.get("id")] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                continue
            spans = sorted(
                (e["start"], e["end"])
                for e in cal["events"].values()
                if not e.get("free") and not e.get("cancelled") and e["end"] > start and e["start"] < end
            )
            merged: list[list[datetime]] = []
            for s, e in spans:  # free/busy answers merge overlapping events
                if merged and s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            answer[item.get("id")] = {"busy": [{"start": _iso(s), "end": _iso(e)} for s, e in merged]}
    return jsonify({"kind": "calendar#freeBusy", "timeMin": body["timeMin"], "timeMax": body["timeMax"],
                    "calendars": answer})

def google_body(ev_id: str, ev: dict) -> dict:
    conference = state.conferences.get(ev.get("conference", ""))
    meet = {}
    if conference is not None:  # "pending" in the create's answer, made by the next read
        status = "success" if conference["read"] else "pending"
        meet = {"conferenceData": {
            "createRequest": {"requestId": ev["conference"], "conferenceSolutionKey": {"type": "hangoutsMeet"},
                              "status": {"statusCode": status}},
            **({"entryPoints": [{"entryPointType": "video", "uri": conference["link"]}],
                "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"}}
               if status == "success" else {})}}
        if status == "success":
            meet["hangoutLink"] = conference["link"]
        conference["read"] = True
    return {
        **meet,
        "id": ev_id,
        "status": "cancelled" if ev.get("cancelled") else "confirmed",
        "summary": ev["title"],
        "location": ev.get("location", ""),
        "description": ev.get("description", ""),
        "start": {"dateTime": _iso(ev["start"])},
        "end": {"dateTime": _iso(ev["end"])},
        "iCalUID": ev.get("uid", ""),
        "attendees": ev.get("attendees", []),
    }

def google_apply(ev: dict, body: dict) -> None:
    if "summary" in body:
        ev["title"] = str(body["summary"])
    for key in ("location", "description"):
        if key in body:
            ev[key] = str(body[key])
    if "start" in body:
        ev["start"] = _parse(body["start"]["dateTime"])
    if "end" in body:
        ev["end"] = _parse(body["end"]["dateTime"])
    if "attendees" in body:
        ev["attendees"] = body["attendees"]
    if body.get("status") == "confirmed":
        ev["cancelled"] = False

@bp.post("/google/calendar/v3/calendars/<calendar_id>/events")
def google_insert(calendar_id: str):
    account = bearer("google")
    if account is None:
        return google_error(401, "Request had invalid authentication credentials.", "authError")
    if (refused := lacks("https://www.googleapis.com/auth/calendar.events.owned")) is not None:
        return refused
    body = request.get_json(silent=True) or {}
    ev_id = str(body.get("id") or secrets.token_hex(13))
    if not (5 <= len(ev_id) <= 1024) or any(c not in "abcdefghijklmnopqrstuv0123456789" for c in ev_id):
        return google_error(400, "Invalid resource id value.", "invalid")
    with state.lock:
        cal = account["calendars"].get(calendar_id)
        if cal is None:
            return google_error(404, "Not Found", "notFound")
        if ev_id in cal["events"]:
            return google_error(409, "The requested identifier already exists.", "duplicate")
        try:
            ev = _event("", _parse(body["start"]["dateTime"]), timedelta(0), uid=body.get("iCalUID", ""))
            google_apply(ev, body)
        except (KeyError, TypeError, ValueError):
            return google_error(400, "Bad Request", "badRequest")
        request_id = ((body.get("conferenceData") or {}).get("createRequest") or {}).get("requestId")
        if request_id and request.args.get("conferenceDataVersion") == "1":  # ignored without it, as Google does
            if request_id not in state.conferences:  # the same request id: the same conference
                code = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10))
                state.conferences[request_id] = {"link": f"https://meet.google.com/{code[:3]}-{code[3:7]}-{code[7:]}",
                                                 "read": False}
            ev["conference"] = request_id
            ev["location"] = ev.get("location") or ""
        cal["events"][ev_id] = ev
        return jsonify(google_body(ev_id, ev))

@bp.route("/google/calendar/v3/calendars/<calendar_id>/events/<event_id>", methods=["GET", "PATCH", "DELETE"])
def google_event(calendar_id: str, event_id: str):
    account = bearer("google")
    if account is None:
        return google_error(401, "Request had invalid authentication credentials.", "authError")
    if (refused := lacks("https://www.googleapis.com/auth/calendar.events.owned")) is not None:
        return refused
    with state.lock:
        cal = account["calendars"].get(calendar_id)
        ev = cal["events"].get(event_id) if cal else None
        if ev is None:
            return google_error(404, "Not Found", "notFound")
        if request.method == "DELETE":
            if ev.get("cancelled"):
                return google_error(410, "Resource has been deleted", "deleted")
            ev["cancelled"] = True
            return Response(status=204)
        if request.method == "PATCH":
            try:
                google_apply(ev, request.get_json(silent=True) or {})
            except (KeyError, TypeError, ValueError):
                return google_error(400, "Bad Request", "badRequest")
        return jsonify(google_body(event_id, ev))

# ------------------------------------------------------------------ Microsoft Graph v1.0

def graph_account():
    account = bearer("microsoft")
    if account is None:
        return None, graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
    return account, None

@bp.get("/microsoft/v1.0/me")
def graph_me():
    account, error = graph_account()
    if error:
        return error
    email = next(e for (p, e), acc in state.accounts.items() if acc is account)
    return jsonify({"mail": email, "userPrincipalName": email, "displayName": email.split("@")[0]})

@bp.get("/microsoft/v1.0/me/calendars")
def graph_calendars():
    account, error = graph_account()
    if error:
        return error
    return jsonify({"value": [{"id": cid, "name": cal["name"], "canEdit": True, "isDefaultCalendar": cal["primary"]}
                              for cid, cal in account["calendars"].items()]})

def graph_body(ev_id: str, ev: dict) -> dict:
    def when(moment: datetime) -> dict:
        return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}

    return {"id": ev_id, "subject": ev["title"], "start": when(ev["start"]), "end": when(ev["end"]),
            "showAs": "free" if ev.get("free") else "busy", "isCancelled": bool(ev.get("cancelled")),
            "location": {"displayName": ev.get("location", "")}, "transactionId": ev.get("transaction")}

@bp.get("/microsoft/v1.0/me/calendars/<calendar_id>/calendarView")
def graph_calendar_view(calendar_id: str):
    account, error = graph_account()
    if error:
        return error
    try:
        start, end = _parse(request.args["startDateTime"]), _parse(request.args["endDateTime"])
        top, skip = min(int(request.args.get("$top", 10)), 1000), int(request.args.get("$skip", 0))
    except (KeyError, ValueError):
        return graph_error(400, "ErrorInvalidParameter", "startDateTime and endDateTime are required.")
    with state.lock:
        cal = account["calendars"].get(calendar_id)
        if cal is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        items = sorted(((eid, ev) for eid, ev in cal["events"].items()
                        if not ev.get("cancelled") and ev["end"] > start and ev["start"] < end),
                       key=lambda pair: pair[1]["start"])
    page = [graph_body(eid, ev) for eid, ev in items[skip:skip + top]]
    answer: dict[str, Any] = {"value": page}
    if skip + top < len(items):
        answer["@odata.nextLink"] = request.base_url + "?" + urlencode({
            "startDateTime": request.args["startDateTime"], "endDateTime": request.args["endDateTime"],
            "$top": top, "$skip": skip + top})
    return jsonify(answer)

def graph_apply(ev: dict, body: dict) -> None:
    if "subject" in body:
        ev["title"] = str(body["subject"])
    if "start" in body:
        ev["start"] = _parse(body["start"]["dateTime"])
    if "end" in body:
        ev["end"] = _parse(body["end"]["dateTime"])
    if "location" in body:
        ev["location"] = str((body["location"] or {}).get("displayName", ""))
    if "body" in body:
        ev["description"] = str((body["body"] or {}).get("content", ""))
    if "attendees" in body:
        ev["attendees"] = [str(a["emailAddress"]["address"]) for a in body["attendees"] or []]

@bp.post("/microsoft/v1.0/me/calendars/<calendar_id>/events")
def graph_create(calendar_id: str):
    account, error = graph_account()
    if error:
        return error
    body = request.get_json(silent=True) or {}
    with state.lock:
        cal = account["calendars"].get(calendar_id)
        if cal is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        transaction = body.get("transactionId")
        for eid, ev in cal["events"].items():
            if transaction and ev.get("transaction") == transaction:
                return jsonify(graph_body(eid, ev)), 201  # the same create again: the same event
        try:
            ev = _event("", _parse(body["start"]["dateTime"]), timedelta(0), transaction=transaction)
            graph_apply(ev, body)
        except (KeyError, TypeError, ValueError):
            return graph_error(400, "ErrorInvalidRequest", "The event could not be read.")
        eid = "AAMkAD" + secrets.token_urlsafe(18)
        cal["events"][eid] = ev
        state.invite(ev, "request")
        return jsonify(graph_body(eid, ev)), 201

@bp.route("/microsoft/v1.0/me/events/<event_id>", methods=["GET", "PATCH", "DELETE"])
def graph_event(event_id: str):
    account, error = graph_account()
    if error:
        return error
    with state.lock:
        ev = next((cal["events"][event_id] for cal in account["calendars"].values()
                   if event_id in cal["events"] and not cal["events"][event_id].get("cancelled")), None)
        if ev is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        if request.method == "DELETE":
            ev["cancelled"] = True
            state.invite(ev, "cancel")
            return Response(status=204)
        if request.method == "PATCH":
            try:
                graph_apply(ev, request.get_json(silent=True) or {})
            except (KeyError, TypeError, ValueError):
                return graph_error(400, "ErrorInvalidRequest", "The event could not be read.")
            state.invite(ev, "update")
        return jsonify(graph_body(event_id, ev))

# ------------------------------------------------------------------ what a person (or a test) sees and does

@bp.get("/sandbox/calendars")
def page():
    accounts = state.snapshot()
    if request.accept_mimetypes.best == "application/json":
        return jsonify(accounts)
    return render_template_string(PAGE, accounts=accounts)

@bp.post("/sandbox/calendars/busy")
def mark_busy():
    values = request.get_json(silent=True) or request.form
    try:
        start = _parse(values["start"])
        length = timedelta(minutes=max(1, min(24 * 60, int(values.get("minutes", 60)))))
    except (KeyError, ValueError, TypeError):
        return Response("start (UTC, like 2026-12-03T15:00) and minutes are needed", status=400)
    with state.lock:
        account = state.account(str(values.get("provider", "google")), str(values.get("email", "")))
        calendar_id = str(values.get("calendar") or next(iter(account["calendars"])))
        cal = account["calendars"].get(calendar_id)
        if cal is None:
            return Response(f"no calendar {escape(calendar_id)}", status=404)
        cal["events"][secrets.token_hex(8)] = _event(str(values.get("title", "Busy"))[:100], start, length)
    if request.form:
        return redirect("/sandbox/calendars", code=303)
    return jsonify({"marked": True}), 201

@bp.post("/sandbox/calendars/expire-access-tokens")
def expire_access_tokens():
    with state.lock:
        for grant in state.access.values():
            grant["expires"] = state.now() - timedelta(seconds=1)
    return jsonify({"expired": True})

@bp.post("/sandbox/calendars/revoke")
def revoke_account():
    values = request.get_json(silent=True) or {}
    with state.lock:
        state.revoke(str(values.get("provider", "google")), str(values.get("email", "")))
    return jsonify({"revoked": True})
