"""REST API v1 (``/api/v1``): JSON, keys sent as ``Authorization: Bearer lt_live_…``, each acting as
the user who made it. Errors are ``{"error": {"code", "message"}}``; a key makes at most
API_REQUESTS_PER_MINUTE requests (429 with Retry-After past it). No CORS headers: browsers of other
sites cannot call it. The document is ``/api/v1/openapi.json`` (``openapi.py``)."""
from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, jsonify, render_template, request
from sqlalchemy import func, or_, select
from werkzeug.exceptions import HTTPException

from linktime import throttle
from linktime.api import openapi
from linktime.api.keys import key_of
from linktime.bookings import availability, service
from linktime.bookings.availability import SlotTaken, SlotUnavailable
from linktime.bookings.views import limit_booking_attempts
from linktime.calendars.busy import CalendarsUnreadable
from linktime.event_types.questions import questions_of
from linktime.extensions import csrf, db
from linktime.models import Booking, BookingHost, EventType, EventTypeHost, User, now_utc
from linktime.throttle import Limit, Throttled
from linktime.webhooks.events import booking_data, iso
from linktime.zones import canonical_zone, is_timezone

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # a key in a header, not a cookie: nothing for another site to forge

MAX_LIMIT = 100
MAX_WINDOW = timedelta(days=31)  # availability: at most a month of times per request
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
         500: "server_error", 503: "unavailable"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code or CODES.get(status, "error")


def fail(status: int, message: str, code: str | None = None) -> NoReturn:
    raise ApiError(status, message, code)


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    response = jsonify(error={"code": error.code, "message": error.message})
    response.status_code = error.status
    if error.status == 429 and getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)  # type: ignore[attr-defined]
    return response


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    code = error.code or 500
    return api_error(ApiError(code, error.description or CODES.get(code, "error")))


def _limited(exc: Throttled) -> NoReturn:
    error = ApiError(429, "Too many requests with this key. Try again after the Retry-After seconds.")
    error.retry_after = max(1, math.ceil(exc.retry_after))  # type: ignore[attr-defined]
    raise error


PUBLIC = {"api.openapi_document", "api.docs"}


@bp.before_request
def authenticate() -> None:
    if request.endpoint in PUBLIC:
        return
    key = key_of(request.headers.get("Authorization"))
    if key is None:
        fail(401, "Send a live API key: Authorization: Bearer lt_live_… (Settings → API keys).")
    try:
        throttle.hit(Limit("api-key", int(current_app.config["API_REQUESTS_PER_MINUTE"]), 60), str(key.id))
    except Throttled as exc:
        _limited(exc)
    g.api_key, g.api_user = key, db.session.get(User, key.user_id)


def me() -> User:
    return g.api_user


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        fail(400, "Send a JSON object (Content-Type: application/json).")
    return data


def text(data: dict[str, Any], name: str, *, required: bool = True, most: int = 1000) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        fail(422, f"“{name}” must be a non-empty string." if required else f"“{name}” must be a string.")
    if len(value) > most:
        fail(422, f"“{name}” is longer than {most} characters.")
    return value.strip()


def moment(value: Any, name: str) -> datetime:
    """An ISO 8601 time with its offset (or Z), as UTC."""
    if not isinstance(value, str) or len(value) > 40:
        fail(422, f"“{name}” must be an ISO 8601 time with its offset, e.g. 2026-12-10T14:00:00Z.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        fail(422, f"“{name}” must be an ISO 8601 time with its offset, e.g. 2026-12-10T14:00:00Z.")
    if parsed.tzinfo is None:
        fail(422, f"“{name}” needs its offset (Z or +01:00): a time without one is ambiguous.")
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        fail(422, f"“{name}” is out of range.")


def query_moment(name: str) -> datetime | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if len(value) == 10:  # a day: its start, in UTC
        value += "T00:00:00Z"
    return moment(value, name)


def whole(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        fail(422, f"“{name}” must be a whole number from {low} to {high}.")
    return int(value)


# ---------------------------------------------------------------------------- me

@bp.get("/me")
def get_me():
    user = me()
    return jsonify(id=user.id, name=user.name, email=user.email, username=user.username, timezone=user.timezone,
                   bookingPage=user.public_url, isAdmin=user.is_admin)


# ---------------------------------------------------------------------------- bookings

def mine():
    """The bookings the key's user hosts or co-hosts."""
    co_hosted = select(BookingHost.booking_id).where(BookingHost.user_id == me().id)
    return or_(Booking.host_id == me().id, Booking.id.in_(co_hosted))


def my_booking(booking_id: int) -> Booking:
    booking = db.session.scalar(select(Booking).where(Booking.id == booking_id, mine()))
    if booking is None:
        fail(404, "No booking of yours has this id.")
    return booking


@bp.get("/bookings")
def list_bookings():
    status = request.args.get("status", "all").upper()
    if status not in ("CONFIRMED", "CANCELLED", "ALL"):
        fail(422, "“status” must be CONFIRMED, CANCELLED or all.")
    page, limit = whole("page", 1, 1, 100000), whole("limit", 20, 1, MAX_LIMIT)
    query = select(Booking).where(mine())
    if status != "ALL":
        query = query.where(Booking.status == status.lower())
    first, last = query_moment("from"), query_moment("to")
    if first is not None:
        query = query.where(Booking.end > first)
    if last is not None:
        query = query.where(Booking.start < last)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(Booking.start, Booking.id).offset((page - 1) * limit).limit(limit)).all()
    return jsonify(data=[booking_data(b) for b in rows],
                   pagination={"page": page, "limit": limit, "total": total,
                               "totalPages": max(1, math.ceil(total / limit))})


@bp.get("/bookings/<id:booking_id>")
def get_booking(booking_id: int):
    return jsonify(data=booking_data(my_booking(booking_id)))


def _event_type_for(data: dict[str, Any]) -> EventType:
    """The key's user's event type named by ``eventTypeId`` or ``eventTypeSlug`` (their own, or a
    team's they host)."""
    if "eventTypeId" in data:
        if not isinstance(data["eventTypeId"], int) or isinstance(data["eventTypeId"], bool):
            fail(422, "“eventTypeId” must be a whole number.")
        event_type = db.session.get(EventType, data["eventTypeId"]) if 0 < data["eventTypeId"] < 2**31 else None
    else:
        slug = text(data, "eventTypeSlug", most=60)
        event_type = db.session.scalar(select(EventType).where(EventType.host_id == me().id, EventType.slug == slug,
                                                               EventType.team_id.is_(None)))
    if event_type is None or not _hosts(event_type):
        fail(404, "No event type of yours has this id or slug.")
    return event_type


def _hosts(event_type: EventType) -> bool:
    return event_type.host_id == me().id if not event_type.is_team else \
        any(chosen.user_id == me().id for chosen in event_type.team_hosts)


def _idempotency_key() -> str | None:
    """The booking key of an Idempotency-Key: per API key, so one client's keys never meet another's."""
    given = request.headers.get("Idempotency-Key")
    if given is None:
        return None
    if not given or len(given) > 200:
        fail(400, "An Idempotency-Key is 1 to 200 characters.")
    return "api:" + hashlib.sha256(f"{g.api_key.id}:{given}".encode()).hexdigest()[:56]


@bp.post("/bookings")
def create_booking():
    """Book a time, with the checks, caps and throttles of the booking page."""
    data = body()
    event_type = _event_type_for(data)
    start = moment(data.get("startTime"), "startTime")
    zone = data.get("inviteeTimezone") or "UTC"
    if not isinstance(zone, str) or not is_timezone(zone):
        fail(422, "“inviteeTimezone” must be an IANA time zone, e.g. Europe/Berlin.")
    email = text(data, "inviteeEmail", most=254)
    if "@" not in email or any(c.isspace() for c in email):
        fail(422, "“inviteeEmail” must be an email address.")
    invitee = service.Invitee(name=text(data, "inviteeName", most=100), email=email.lower(),
                              timezone=canonical_zone(zone), notes=text(data, "notes", required=False, most=5000))
    if any(question.required for question in questions_of(event_type.questions)):
        fail(422, "This event type asks questions the API does not answer yet: book it on its page.")
    key = _idempotency_key()
    existing = service.by_key(key)
    if existing is not None:
        return jsonify(bookingId=existing.id, data=booking_data(existing)), 200
    try:
        limit_booking_attempts(event_type.host_id)
    except Throttled as exc:
        _limited(exc)
    with told_why():
        booking = service.book_slot(event_type, start, invitee, key=key)
    return jsonify(bookingId=booking.id, data=booking_data(booking)), 201


@contextmanager
def told_why() -> Iterator[None]:
    """Why the booking service refused, as the API answers it."""
    try:
        yield
    except service.BookingClosed:
        fail(409, "This booking is cancelled or over already.", "booking_closed")
    except SlotTaken:
        fail(409, "That time was taken meanwhile.", "slot_taken")
    except SlotUnavailable:
        fail(422, "That time is not offered by this event type.", "slot_unavailable")
    except CalendarsUnreadable as exc:
        fail(503, str(exc))
    except service.BookingLimit as exc:
        fail(429, str(exc), "booking_limit")


@bp.post("/bookings/<id:booking_id>/cancel")
def cancel_booking(booking_id: int):
    booking = my_booking(booking_id)
    data = request.get_json(silent=True) if request.data else {}
    reason = text(data, "reason", required=False, most=1000) if isinstance(data, dict) else ""
    with told_why():
        booking = service.cancel_booking(booking, by="host", reason=reason)
    return jsonify(data=booking_data(booking))


@bp.post("/bookings/<id:booking_id>/reschedule")
def reschedule_booking(booking_id: int):
    booking = my_booking(booking_id)
    data = body()
    start = moment(data.get("startTime"), "startTime")
    reason = text(data, "reason", required=False, most=1000)
    with told_why():
        booking = service.reschedule_booking(booking, start, by="host", reason=reason)
    return jsonify(data=booking_data(booking))


# ---------------------------------------------------------------------------- event types

def event_type_data(event_type: EventType) -> dict[str, Any]:
    return {"id": event_type.id, "name": event_type.title, "slug": event_type.slug,
            "duration": event_type.duration_minutes, "active": event_type.active, "location": event_type.location,
            "bookingPage": event_type.public_url, "team": event_type.team.slug if event_type.team else None,
            "description": event_type.description or None}


def my_event_types():
    return select(EventType).where(or_(EventType.host_id == me().id,
                                       EventType.id.in_(_team_event_types()))).order_by(EventType.id)


def _team_event_types():
    return select(EventTypeHost.event_type_id).where(EventTypeHost.user_id == me().id)


def my_event_type(event_type_id: int) -> EventType:
    event_type = db.session.scalar(my_event_types().where(EventType.id == event_type_id))
    if event_type is None:
        fail(404, "No event type of yours has this id.")
    return event_type


@bp.get("/event-types")
def list_event_types():
    return jsonify(data=[event_type_data(et) for et in db.session.scalars(my_event_types().limit(500))])


@bp.get("/event-types/<id:event_type_id>")
def get_event_type(event_type_id: int):
    return jsonify(data=event_type_data(my_event_type(event_type_id)))


@bp.get("/event-types/<id:event_type_id>/availability")
def get_availability(event_type_id: int):
    """The free times of an event type in [from, to) (a month at most), written in ``timezone``."""
    event_type = my_event_type(event_type_id)
    zone = request.args.get("timezone", "UTC")
    if not is_timezone(zone):
        fail(422, "“timezone” must be an IANA time zone, e.g. Europe/Berlin.")
    first = query_moment("from") or now_utc()
    last = query_moment("to") or first + timedelta(days=7)
    if last <= first or last - first > MAX_WINDOW:
        fail(422, "“to” must be after “from”, and at most 31 days later.")
    tz = ZoneInfo(canonical_zone(zone))
    slots = availability.slots_between(event_type, first, last) if event_type.active else []
    return jsonify(data=[{"startTime": iso(slot.start), "endTime": iso(slot.end),
                          "localStart": slot.start.astimezone(tz).isoformat()} for slot in slots],
                   timezone=canonical_zone(zone))


# ---------------------------------------------------------------------------- the document

@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/docs")
def docs():
    """The API and webhooks, for people."""
    return render_template("api/docs.html", document=openapi.document())

