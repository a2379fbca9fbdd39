"""A calendar server that misbehaves on purpose, over real TCP on loopback: it drips, sends
without end, answers XML bombs, cuts its body, redirects elsewhere, or serves a calendar built
to cost its reader. Each request is answered by the behaviour set for its path; what the
server received is kept for the test to check (the Authorization header, say)."""
from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Callable

Behaviour = Callable[[socket.socket, "Request"], None]


class Request:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes):
        self.method, self.path, self.headers, self.body = method, path, headers, body


class HostileServer:
    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, Behaviour] = {}
        self.received: list[Request] = []
        self.stopped = threading.Event()
        self.drips_ended: list[str] = []  # "hung up" (the client let go) or "ran out" (it held on)
        self.drip_ended = threading.Event()
        self.arrived = threading.Semaphore(0)  # released once per request received
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
            }
            length = int(headers.get("content-length", "0"))
            while len(body) < length:
                body += conn.recv(65536)
            request = Request(method, path, headers, body)
            self.received.append(request)
            self.arrived.release()
            behaviour = next((b for prefix, b in sorted(self.routes.items(), key=lambda r: -len(r[0]))
                              if path.startswith(prefix)), not_found)
            behaviour(conn, request)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    # ---------------------------------------------------------------- behaviours

    def drip(self, head: bytes = b"HTTP/1.1 207 Multi-Status\r\n", every: float = 0.05,
             lasting: float = 15.0) -> Behaviour:
        """Send ``head``, then one byte at a time for ``lasting`` seconds (far past any deadline; a
        client without one fails the test after that rather than hanging it)."""
        def behave(conn: socket.socket, request: Request) -> None:
            conn.sendall(head)
            ends = time.monotonic() + lasting
            try:
                while not self.stopped.is_set() and time.monotonic() < ends:
                    conn.sendall(b"x")
                    time.sleep(every)
                self.drips_ended.append("ran out")
            except OSError:
                self.drips_ended.append("hung up")
            self.drip_ended.set()
        return behave

    def endless(self) -> Behaviour:
        """A 207 whose chunked body never ends, sent as fast as it is read."""
        def behave(conn: socket.socket, request: Request) -> None:
            conn.sendall(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"<d:x>" + b"a" * 65000 + b"</d:x>"
            while not self.stopped.is_set():
                conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        return behave


def answer(status: str, body: bytes | str = b"", headers: dict[str, str] | None = None) -> Behaviour:
    payload = body.encode() if isinstance(body, str) else body

    def behave(conn: socket.socket, request: Request) -> None:
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        conn.sendall(f"HTTP/1.1 {status}\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n{extra}\r\n"
                     .encode() + payload)
    return behave


def cut_chunked(conn: socket.socket, request: Request) -> None:
    """A chunked 207 that promises more than it sends, then hangs up."""
    conn.sendall(b"HTTP/1.1 207 Multi-Status\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n<?xml version")
    conn.shutdown(socket.SHUT_RDWR)


def not_found(conn: socket.socket, request: Request) -> None:
    answer("404 Not Found")(conn, request)


def multistatus(*responses: str) -> str:
    return ('<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            + "".join(responses) + "</d:multistatus>")


def prop(href: str, inner: str) -> str:
    return (f"<d:response><d:href>{href}</d:href><d:propstat><d:prop>{inner}</d:prop>"
            "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>")


def calendar_answer(*events: str) -> Behaviour:
    """A calendar-query answer with these VCALENDAR texts."""
    escaped = [e.replace("&", "&amp;").replace("<", "&lt;") for e in events]
    return answer("207 Multi-Status", multistatus(*(prop(f"/cal/{n}.ics", f"<c:calendar-data>{e}</c:calendar-data>")
                                                    for n, e in enumerate(escaped))),
                  {"Content-Type": "application/xml"})


def discovery(server: HostileServer) -> None:
    """Answer discovery like a real server: principal, home, one calendar at /cal/."""
    server.routes["/"] = answer("207 Multi-Status", multistatus(prop(
        "/", "<d:current-user-principal><d:href>/principal/</d:href></d:current-user-principal>")))
    server.routes["/principal/"] = answer("207 Multi-Status", multistatus(prop(
        "/principal/", "<c:calendar-home-set><d:href>/home/</d:href></c:calendar-home-set>")))
    server.routes["/home/"] = answer(
        "207 Multi-Status",
        multistatus(
            prop(
                "/home/cal/",
                "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Cal</d:displayname>",
            )
        ),
    )
