"""JSON over HTTPS with a bearer token, for the Google and Microsoft clients: timeouts, bounded
answers, and every failure turned into a CalendarError a host can act on."""
from __future__ import annotations

import json
from typing import Any

import requests
import urllib3

from linktime.calendars.base import CalendarError, Expired, NotFound, Unreachable
from linktime.http import DeadlinePassed, bounded_session, deadline, out_of_time, read_body, retry_after, time_left

MAX_ANSWER = 5 * 1024 * 1024  # bytes: a page of events, generously


class Conflict(CalendarError):
    """It exists already (a create sent again under the same id)."""


class RestClient:
    label = "The calendar"

    def __init__(self, api_url: str, access_token: str, *, timeout: float = 10,
                 session: requests.Session | None = None):
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.http = session or bounded_session()
        self.http.headers["Authorization"] = f"Bearer {access_token}"

    def rate_limited(self, status: int, data: dict[str, Any]) -> bool:
        return status == 429

    def call(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201, 204),
             **kwargs: Any) -> dict[str, Any]:
        url = path if path.startswith("http") else f"{self.api_url}{path}"
        with deadline(self.timeout):  # the whole exchange, however slowly the answer comes
            try:
                response = self.http.request(method, url, timeout=time_left(self.timeout), stream=True, **kwargs)
                content = read_body(response, MAX_ANSWER)
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                if isinstance(exc, DeadlinePassed) or out_of_time():
                    raise Unreachable(f"{self.label} took too long to answer") from None
                raise Unreachable(f"{self.label} could not be reached ({type(exc).__name__})") from None
            finally:
                if "response" in locals():
                    response.close()
        if len(content) > MAX_ANSWER:
            raise CalendarError(f"{self.label} answered with more than {MAX_ANSWER // 2**20} MB")
        try:
            data = json.loads(content) if content.strip() else {}
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        status = response.status_code
        if status in ok:
            return data
        message = self.describe(data) or f"HTTP {status}"
        if status == 401:
            raise Expired(f"{self.label} refused LinkTime's access token ({message})")
        if self.rate_limited(status, data) or status >= 500:
            raise Unreachable(f"{self.label} is busy or unavailable ({message})", retry_after=retry_after(response))
        if status == 409:
            raise Conflict(f"{self.label} has this item already ({message})")
        if status in (404, 410):
            raise NotFound(f"{self.label} has no such item ({message})")
        raise CalendarError(f"{self.label} refused the request ({message})")

    @staticmethod
    def describe(data: dict[str, Any]) -> str:
        error = data.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("code") or "")[:200]
        return str(error or "")[:200]
