"""What LinkTime does the same way in every exchange with a provider: a total deadline, answers
read against it and bounded in size, connections pinned to a checked address, Retry-After."""
from __future__ import annotations

import email.utils
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
import urllib3
from requests.adapters import HTTPAdapter


def retry_after(response: requests.Response) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), if there is one."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (email.utils.parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


# ---------------------------------------------------------------------------- a total deadline
#
# A timeout bounds each wait for a byte; a server that sends one byte a second never reaches it.
# Every outside call LinkTime makes therefore runs inside ``deadline(seconds)``: when the time is
# up, the sockets its exchanges use are shut down (whatever they are waiting for: the headers,
# the body, a redirect's next answer), and every later wait is shortened to the time left.

class DeadlinePassed(requests.exceptions.Timeout):
    """The call ran out of its total time (a RequestException, so callers treat it as a timeout)."""


_local = threading.local()


class _Deadline:
    def __init__(self, seconds: float):
        self.ends = time.monotonic() + seconds
        self.connections: list[Any] = []
        self.expired = False
        self.lock = threading.Lock()

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            connections, self.connections = self.connections, []
        for connection in connections:
            _shut(connection)

    def watch(self, connection: Any) -> None:
        with self.lock:
            if not self.expired:
                self.connections.append(connection)
                return
        _shut(connection)


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _deadlines() -> list[_Deadline]:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every HTTP exchange made inside (on this thread, through ``bounded_session``) ends within
    ``seconds``, or raises DeadlinePassed. Nested deadlines: the nearest one counts."""
    watch = _Deadline(seconds)
    timer = threading.Timer(seconds, watch.expire)
    timer.daemon = True
    timer.start()
    _deadlines().append(watch)
    try:
        yield
    finally:
        timer.cancel()
        _deadlines().remove(watch)


def time_left(timeout: float) -> float:
    """``timeout``, shortened to what the current deadlines leave; DeadlinePassed when none is left."""
    stack = _deadlines()
    if not stack:
        return timeout
    left = min(d.ends for d in stack) - time.monotonic()
    if left <= 0 or any(d.expired for d in stack):
        raise DeadlinePassed("ran out of time")
    return min(timeout, left)


def out_of_time() -> bool:
    """Whether a deadline of this thread has passed (its sockets were shut: whatever broke was that)."""
    try:
        time_left(1.0)
    except DeadlinePassed:
        return True
    return False


def read_body(response: requests.Response, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes of the answer (so a caller sees it was larger), read against the
    deadline; DeadlinePassed if it runs out."""
    chunks, size = [], 0
    while size <= limit:
        time_left(1.0)
        chunk = response.raw.read(min(65536, limit + 1 - size), decode_content=True)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class _PinnedConnectionMixin:
    """Connects to the address it was pinned to (the one that was checked), while the Host header,
    SNI and the certificate check keep the name."""

    linktime_pin: str | None = None
    _dns_host: str  # urllib3's: the name its connections resolve

    def _new_conn(self):
        if not self.linktime_pin:
            return super()._new_conn()  # type: ignore[misc]  # a mixin: urllib3's connection is next
        name, self._dns_host = self._dns_host, self.linktime_pin
        try:
            return super()._new_conn()  # type: ignore[misc]
        finally:
            self._dns_host = name


class _PinnedHTTP(_PinnedConnectionMixin, urllib3.connection.HTTPConnection):
    pass


class _PinnedHTTPS(_PinnedConnectionMixin, urllib3.connection.HTTPSConnection):
    pass


class _BoundedAdapter(HTTPAdapter):
    """Connections watched by the thread's deadlines, and pinned to checked addresses."""

    def __init__(self, pins: dict[str, str]):
        self.pins = pins
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        pins = self.pins

        def pool(base: type, connection_class: type) -> type:
            class Pool(base):  # the pool class urllib3 picked, with our connections
                ConnectionCls = connection_class

                def _get_conn(self, timeout: float | None = None) -> Any:
                    connection = super()._get_conn(timeout)
                    connection.linktime_pin = pins.get((self.host or "").lower())
                    for watch in _deadlines():
                        watch.watch(connection)
                    return connection
            return Pool

        self.poolmanager.pool_classes_by_scheme = {
            "http": pool(urllib3.HTTPConnectionPool, _PinnedHTTP),
            "https": pool(urllib3.HTTPSConnectionPool, _PinnedHTTPS),
        }


S = TypeVar("S", bound=requests.Session)


def bounded(session: S, pins: dict[str, str] | None = None) -> S:
    """The session (Authlib's OAuth session, say), its exchanges now obeying ``deadline`` and, for
    the host names in ``pins`` (filled as addresses are checked), going to exactly that address."""
    adapter = _BoundedAdapter(pins if pins is not None else {})
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def bounded_session(pins: dict[str, str] | None = None) -> requests.Session:
    """A new session for outside calls (see ``bounded``)."""
    return bounded(requests.Session(), pins)
