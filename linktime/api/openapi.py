"""The OpenAPI 3.1 document of REST API v1 (``/api/v1/openapi.json``): what ``views.py`` answers,
checked against the running app by a property-based test (tests/web/test_api_schema.py)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


NULLABLE_STRING = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}
PERSON = {"type": "object", "required": ["id", "name", "email"],
          "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"}}}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
    "Booking": {
        "type": "object",
        "required": ["id", "uid", "eventType", "title", "startTime", "endTime", "status", "invitee", "host", "hosts",
                     "meetingLink", "location", "notes", "answers", "guests", "isRecurring", "recurringGroupId",
                     "createdAt"],
        "properties": {
            "id": {"type": "integer"}, "uid": {"type": "string"},
            "eventType": {"oneOf": [{"type": "null"}, {
                "type": "object", "required": ["id", "name", "slug", "duration"],
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "slug": {"type": "string"},
                               "duration": {"type": "integer"}}}]},
            "title": {"type": "string"}, "startTime": TIME, "endTime": TIME,
            "status": {"type": "string", "enum": ["CONFIRMED", "CANCELLED"]},
            "invitee": {"oneOf": [{"type": "null"}, {
                "type": "object", "required": ["name", "email", "timezone"],
                "properties": {"name": {"type": "string"}, "email": {"type": "string"},
                               "timezone": {"type": "string"}}}]},
            "host": PERSON, "hosts": {"type": "array", "items": PERSON},
            "meetingLink": NULLABLE_STRING,
            "location": {"type": "object", "required": ["type", "detail"],
                         "properties": {"type": {"type": "string"}, "detail": NULLABLE_STRING}},
            "notes": NULLABLE_STRING,
            "answers": {"type": "array", "items": {"type": "object", "required": ["question", "answer"], "properties": {
                "question": {"type": "string"}, "answer": {"type": "string"}}}},
            "guests": {"type": "array", "items": {"type": "string"}},
            "isRecurring": {"type": "boolean"}, "recurringGroupId": NULLABLE_STRING, "createdAt": TIME,
        },
    },
    "EventType": {
        "type": "object",
        "required": ["id", "name", "slug", "duration", "active", "location", "bookingPage", "team", "description"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "slug": {"type": "string"},
                       "duration": {"type": "integer"}, "active": {"type": "boolean"}, "location": {"type": "string"},
                       "bookingPage": {"type": "string"}, "team": NULLABLE_STRING, "description": NULLABLE_STRING},
    },
    "Slot": {"type": "object", "required": ["startTime", "endTime", "localStart"],
             "properties": {"startTime": TIME, "endTime": TIME, "localStart": {"type": "string"}}},
}

ERRORS = {"401": _error("No live API key was sent"), "429": _error("Too many requests with this key")}
ID = {"name": "booking_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1,
                                                                        "maximum": 2147483647}}
EVENT_TYPE_ID = {**ID, "name": "event_type_id"}
ONE_BOOKING = _json({"type": "object", "required": ["data"], "properties": {"data": _ref("Booking")}})


def _post(schema: dict[str, Any], responses: dict[str, Any], summary: str, *, required: bool = True,
          **extra: Any) -> dict[str, Any]:
    return {"summary": summary, **extra, "requestBody": {
        "required": required, "content": {"application/json": {"schema": schema}}},
        "responses": {**responses, **ERRORS}}


PATHS: dict[str, Any] = {
    "/me": {"get": {"summary": "The key's user", "responses": {"200": _json({
        "type": "object", "required": ["id", "name", "email", "username", "timezone", "bookingPage", "isAdmin"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"},
                       "username": {"type": "string"}, "timezone": {"type": "string"},
                       "bookingPage": {"type": "string"}, "isAdmin": {"type": "boolean"}}}), **ERRORS}}},
    "/bookings": {
        "get": {
            "summary": "The bookings the key's user hosts, by start time",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string",
                                                             "enum": ["CONFIRMED", "CANCELLED", "all"]}},
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date-time"},
                 "description": "Bookings ending after this time (or day, YYYY-MM-DD)"},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date-time"},
                 "description": "Bookings starting before this time (or day)"},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
            ],
            "responses": {"200": _json({"type": "object", "required": ["data", "pagination"], "properties": {
                "data": {"type": "array", "items": _ref("Booking")},
                "pagination": {"type": "object", "required": ["page", "limit", "total", "totalPages"],
                               "properties": {name: {"type": "integer"}
                                              for name in ("page", "limit", "total", "totalPages")}}}}),
                          "422": _error("A filter is not understood"), **ERRORS},
        },
        "post": _post(
            {"type": "object", "required": ["startTime", "inviteeName", "inviteeEmail"],
             "anyOf": [{"required": ["eventTypeId"]}, {"required": ["eventTypeSlug"]}], "properties": {
                "eventTypeId": {"type": "integer"}, "eventTypeSlug": {"type": "string"},
                "startTime": {"type": "string", "format": "date-time"}, "inviteeName": {"type": "string"},
                "inviteeEmail": {"type": "string", "format": "email"}, "inviteeTimezone": {"type": "string"},
                "notes": {"type": "string"}}},
            {"201": _json({"type": "object", "required": ["bookingId", "data"], "properties": {
                "bookingId": {"type": "integer"}, "data": _ref("Booking")}}, "Booked"),
             "200": _json({"type": "object", "required": ["bookingId", "data"], "properties": {
                 "bookingId": {"type": "integer"}, "data": _ref("Booking")}},
                 "The booking this Idempotency-Key made before"),
             "400": _error("Not a JSON object"), "404": _error("No such event type of yours"),
             "409": _error("The time was taken meanwhile"), "422": _error("Not bookable as asked"),
             "503": _error("A host's calendar could not be checked just now")},
            "Book a time (the booking page's checks and caps apply)",
            parameters=[{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 200},
                         "description": "The same key again returns the booking the first request made"}]),
    },
    "/bookings/{booking_id}": {"get": {"summary": "One booking", "parameters": [ID], "responses": {
        "200": ONE_BOOKING, "404": _error("No booking of yours has this id"), **ERRORS}}},
    "/bookings/{booking_id}/cancel": {"post": _post(
        {"type": "object", "properties": {"reason": {"type": "string"}}},
        {"200": ONE_BOOKING, "404": _error("No booking of yours has this id"),
         "409": _error("Cancelled or over already"), "422": _error("The reason is not a string")},
        "Cancel a booking (the invitee is told)", required=False, parameters=[ID])},
    "/bookings/{booking_id}/reschedule": {"post": _post(
        {"type": "object", "required": ["startTime"], "properties": {
            "startTime": {"type": "string", "format": "date-time"}, "reason": {"type": "string"}}},
        {"200": ONE_BOOKING, "400": _error("Not a JSON object"), "404": _error("No booking of yours has this id"),
         "409": _error("Taken meanwhile, or the booking is closed"), "422": _error("Not offered"),
         "503": _error("A host's calendar could not be checked just now")},
        "Move a booking to another free time (the invitee is told)", parameters=[ID])},
    "/event-types": {"get": {"summary": "The key's user's event types (and the team ones they host)", "responses": {
        "200": _json({"type": "object", "required": ["data"], "properties": {
            "data": {"type": "array", "items": _ref("EventType")}}}), **ERRORS}}},
    "/event-types/{event_type_id}": {"get": {"summary": "One event type", "parameters": [EVENT_TYPE_ID], "responses": {
        "200": _json({"type": "object", "required": ["data"], "properties": {"data": _ref("EventType")}}),
        "404": _error("No event type of yours has this id"), **ERRORS}}},
    "/event-types/{event_type_id}/availability": {"get": {
        "summary": "Free times in a window of at most 31 days",
        "parameters": [EVENT_TYPE_ID,
                       {"name": "from", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                       {"name": "to", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                       {"name": "timezone", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": _json({"type": "object", "required": ["data", "timezone"], "properties": {
            "data": {"type": "array", "items": _ref("Slot")}, "timezone": {"type": "string"}}}),
            "404": _error("No event type of yours has this id"), "422": _error("The window or zone is not understood"),
            **ERRORS}}},
}


@lru_cache(maxsize=4)
def _document(base: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "LinkTime API", "version": "1.0.0",
                 "description": "Bookings, event types and free times of the key's user. Errors are "
                                "{\"error\": {\"code\", \"message\"}}; 429 answers carry Retry-After."},
        "servers": [{"url": f"{base}/api/v1"}],
        "security": [{"apiKey": []}],
        "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                                      "description": "lt_live_… (Settings → API keys)"}},
                       "schemas": SCHEMAS},
        "paths": PATHS,
    }


def document() -> dict[str, Any]:
    return _document(str(current_app.config["BASE_URL"]).rstrip("/"))
