"""LinkTime's benchmark suite: booking pages against a bare-Flask ceiling, contention, footprint.

    .venv/bin/python bench/run.py                       # SQLite, 1,000 bookings
    .venv/bin/python bench/run.py --bookings 10000      # more history
    .venv/bin/python bench/run.py --database postgresql+psycopg://linktime:…@127.0.0.1/linktime_bench

Needs `wrk` (Debian/Ubuntu: `apt install wrk`) and the test extras (gunicorn, aiosmtpd), which
`python3 manage.py test` installs. The data is made through LinkTime's own services in a
temporary folder (or the empty PostgreSQL database given); both servers run under the same
gunicorn configuration and are measured in turn, round after round, by wrk on the same machine.
The ceiling serves, from memory, the very bytes LinkTime answered for each URL.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEYS = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
CEILING = '''
import json, os
from flask import Flask, Response, request

PAGES = json.load(open(os.environ["BENCH_PAGES"]))
app = Flask(__name__)


@app.route("/<path:path>")
def page(path):
    body = PAGES.get(request.full_path.rstrip("?") + ("|hx" if request.headers.get("HX-Request") else ""))
    if body is None:
        return "not captured", 404
    return Response(body, content_type="text/html; charset=utf-8")
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def settings(database: str, instance: Path) -> dict:
    return {"SECRET_KEY": "bench-secret", "ENCRYPTION_KEYS": KEYS, "SQLALCHEMY_DATABASE_URI": database,
            "SCHEDULER_ENABLED": False, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
            "BOOKINGS_PER_EMAIL_PER_DAY": 10**6, "BOOKINGS_PER_HOST_PER_DAY": 10**6,
            "ZOOM_SANDBOX_CLIENT_SECRET": "bench", "ZOOM_SANDBOX_WEBHOOK_SECRET": "bench",
            "INSTANCE": str(instance)}


def make_data(config: dict, bookings: int, members: int = 0) -> dict:
    """A host, an event type open every day, and ``bookings`` bookings made by book_slot; with
    ``members``, a team of that many (the host and others) and a round-robin event type of them all."""
    from sqlalchemy import select, text, update

    from linktime import create_app
    from linktime.bookings import service
    from linktime.extensions import db
    from linktime.models import Booking, EventType, User

    app = create_app({k: v for k, v in config.items() if k != "INSTANCE"}, instance_path=config["INSTANCE"])
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        db.create_all()
        host = User(name="Bench Host", email="host@example.com", username="host", timezone="UTC",
                    is_admin=True)
        host.set_password("bench password words")
        db.session.add(host)
        db.session.commit()
        every_day = {str(d): [["08:00", "20:00"]] for d in range(7)}
        # Bookings fill the days from tomorrow on, 24 a day; the benchmarked month lies beyond them.
        days = bookings // 24 + 45
        event_type = EventType(host_id=host.id, title="Intro Call", slug="intro-call", duration_minutes=30,
                               increment_minutes=30, weekly_hours=every_day, date_overrides={},
                               min_notice_minutes=0, horizon_days=days + 60, location="none")
        db.session.add(event_type)
        db.session.commit()
        if members:
            make_team(host, members, every_day, days)
        # Jobs the bookings queue stay queued: the benchmark measures pages, not mail.
        service.run_briefly = service.run_soon = lambda jobs: None
        first = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
        for n in range(bookings):
            day, index = divmod(n, 24)
            start = first + timedelta(days=day, minutes=30 * index)
            service.book_slot(event_type, start, service.Invitee(
                name=f"Invitee {n}", email=f"invitee{n}@example.com", timezone="UTC"))
        # As a real history is: booked over the days before, 40 a day (a host takes 50 a day at most).
        now = datetime.now(UTC)
        db.session.execute(update(Booking), [{"id": booking_id, "created_at": now - timedelta(days=1 + i // 40)}
                                             for i, booking_id in enumerate(db.session.scalars(
                                                 select(Booking.id).order_by(Booking.id.desc())))])
        db.session.commit()
        month = (date.today() + timedelta(days=bookings // 24 + 3)).replace(day=1)
        free_day = month + timedelta(days=14)
        race_day = (datetime.now(UTC) + timedelta(days=days + 5)).replace(hour=8, minute=0, second=0, microsecond=0)
        db.session.remove()
        db.engine.dispose()
    return {"month": month.strftime("%Y-%m"), "day": free_day.isoformat(), "race_day": race_day.isoformat()}


def make_team(host, members: int, hours: dict, days: int) -> None:
    """Team "bench" of the host and ``members - 1`` others (zones around the world), and its
    round-robin "talk" hosted by them all."""
    from linktime.extensions import db
    from linktime.models import EventType, EventTypeHost, Scheduling, Team, TeamMember, User

    zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
    people = [host]
    for n in range(1, members):
        person = User(name=f"Member {n}", email=f"member{n}@example.com", username=f"member{n}",
                      timezone=zones[n % len(zones)])
        person.set_password("bench password words")
        db.session.add(person)
        people.append(person)
    db.session.flush()
    team = Team(slug="bench", name="Bench Team", members=[TeamMember(user_id=person.id) for person in people])
    db.session.add(team)
    db.session.flush()
    db.session.add(EventType(host_id=host.id, team_id=team.id, scheduling=Scheduling.ROUND_ROBIN.value,
                             title="Talk to us", slug="talk", duration_minutes=30, increment_minutes=30,
                             weekly_hours=hours, date_overrides={}, min_notice_minutes=0, horizon_days=days + 60,
                             location="none", team_hosts=[EventTypeHost(user_id=person.id) for person in people]))
    db.session.commit()


def start_sandbox(instance: Path) -> tuple[subprocess.Popen, str]:
    """The sandbox process that plays Google (as `manage.py run` starts it)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "linktime.sandbox", "--port", str(port),
                                "--instance", str(instance)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            requests.get(f"{url}/sandbox/calendars", timeout=5)
            return process, url
        except requests.ConnectionError:
            if process.poll() is not None:
                raise SystemExit("the sandbox did not start") from None
            time.sleep(0.05)


def connect_calendars(config: dict, sandbox: str, calendars: int, events: int, first_day: date, days: int) -> None:
    """``calendars`` Google accounts in the sandbox, each with ``events`` busy events over the
    benchmarked days, connected to the host and checked for conflicts (as Allow does it)."""
    import base64
    import hashlib
    import secrets
    from urllib.parse import parse_qs, urlsplit

    from linktime import create_app
    from linktime.calendars import oauth
    from linktime.calendars.google import SCOPES as GOOGLE_SCOPES
    from linktime.config import SANDBOX_CLIENT_ID
    from linktime.extensions import db
    from linktime.models import CalendarConnection, ConnectedCalendar, User

    config = {**config, "ZOOM_SANDBOX_URL": sandbox}
    app = create_app({k: v for k, v in config.items() if k != "INSTANCE"}, instance_path=config["INSTANCE"])
    with app.app_context():
        for host in db.session.query(User).order_by(User.id).all():  # every member's, with a team
            for n in range(calendars):
                email = f"bench{n}.{host.username}@gmail-sandbox.test"
                verifier = secrets.token_urlsafe(48)
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                allowed = requests.post(f"{sandbox}/google/o/oauth2/v2/auth", allow_redirects=False, data={
                    "client_id": SANDBOX_CLIENT_ID, "response_type": "code", "redirect_uri": "http://bench/callback",
                    "code_challenge": challenge, "code_challenge_method": "S256", "decision": "allow", "email": email,
                    "scope": " ".join(scope.name for scope in GOOGLE_SCOPES)})  # everything asked, all granted
                code = parse_qs(urlsplit(allowed.headers["Location"]).query)["code"][0]
                token = requests.post(f"{sandbox}/google/token", data={
                    "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                    "redirect_uri": "http://bench/callback", "client_id": SANDBOX_CLIENT_ID,
                    "client_secret": app.config["GOOGLE_CLIENT_SECRET"]}).json()
                for i in range(events):  # spread over the days, 30 or 60 minutes each, some overlapping
                    start = datetime.combine(first_day, datetime.min.time(), UTC) + timedelta(
                        minutes=(i * 7919) % (days * 24 * 60) // 15 * 15)
                    requests.post(f"{sandbox}/sandbox/calendars/busy", json={
                        "provider": "google", "email": email, "start": start.isoformat(), "minutes": 30 + 30 * (i % 2)})
                connection = CalendarConnection(user_id=host.id, provider="google", account=email)
                connection.secret = oauth.Tokens(token["access_token"], token["refresh_token"],
                                                 datetime.now(UTC) + timedelta(seconds=token["expires_in"])).to_json()
                connection.calendars.append(ConnectedCalendar(remote_id=email, name=email, check_conflicts=True))
                db.session.add(connection)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def start_server(module_dir: Path, target: str, env: dict, workers: int,
                 threads: int = 1) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=module_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            requests.get(f"{url}/login", timeout=5)
            break
        except requests.ConnectionError:
            if process.poll() is not None:
                raise SystemExit(process.stderr.read().decode()) from None
            time.sleep(0.02)
    return process, url, time.perf_counter() - began


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)


def worker_rss_mb(process: subprocess.Popen) -> list[float]:
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status)[1]) / 1024)
    return sizes


def wrk(url: str, *, htmx: bool, seconds: int, connections: int) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if htmx:
        command += ["-H", "HX-Request: true"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"wrk saw errors on {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])


def sql_per_request(config: dict, paths: list[tuple[str, bool]]) -> dict[str, int]:
    from sqlalchemy import event

    from linktime import create_app
    from linktime.extensions import db

    app = create_app({k: v for k, v in config.items() if k != "INSTANCE"}, instance_path=config["INSTANCE"])
    counts = {}
    with app.app_context():
        statements = []
        listener = lambda *args: statements.append(1)
        event.listen(db.engine, "before_cursor_execute", listener)
        client = app.test_client()
        for path, htmx in paths:
            client.get(path, headers={"HX-Request": "true"} if htmx else {})  # warm
            statements.clear()
            client.get(path, headers={"HX-Request": "true"} if htmx else {})
            counts[path + (" (htmx)" if htmx else "")] = len(statements)
        event.remove(db.engine, "before_cursor_execute", listener)
        db.engine.dispose()
    return counts


def race(url: str, race_day: str, racers: int = 200, slots: int = 50) -> dict:
    """``racers`` booking POSTs at once on ``slots`` one-seat slots.

    Each request is written in advance and sent over a raw socket (no HTTP library), so the
    load generator costs next to nothing beside the server's two workers on the same machine.
    """
    host, port = url.removeprefix("http://").split(":")
    start = datetime.fromisoformat(race_day)
    requests_ = []
    for n in range(racers):
        day, index = divmod(n % slots, 24)  # 24 half-hour slots a day, 08:00–20:00
        when = (start + timedelta(days=day, minutes=30 * index)).isoformat()
        body = urlencode({"start": when, "tz": "UTC", "name": f"Racer {n}", "email": f"racer{n}@example.com"}).encode()
        requests_.append(b"POST /host/intro-call/book HTTP/1.1\r\nHost: " + f"{host}:{port}".encode()
                         + b"\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    barrier = threading.Barrier(racers)

    def one(n: int) -> tuple[int, float]:
        with socket.create_connection((host, int(port)), timeout=120) as connection:
            barrier.wait(timeout=60)
            began = time.perf_counter()
            connection.sendall(requests_[n])
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
            return int(answer.split(b" ", 2)[1]), time.perf_counter() - began

    with ThreadPoolExecutor(racers) as pool:
        results = list(pool.map(one, range(racers)))
    times = sorted(seconds for _, seconds in results)
    codes = [code for code, _ in results]
    return {"booked": codes.count(303), "taken": codes.count(409), "errors": len([c for c in codes if c >= 500]),
            "other": len([c for c in codes if c not in (303, 409) and c < 500]),
            "p50": times[len(times) // 2], "p95": times[int(len(times) * 0.95) - 1]}


SINK = r'''
import re, sys
from aiosmtpd.controller import Controller

seen, sizes = [], []


class Count:
    async def handle_DATA(self, server, session, envelope):
        found = re.search(rb"^Message-ID: *(\S+)", envelope.content, re.M | re.I)
        # Host and invitee copies of one notice differ by recipient: one line each.
        seen.append(f"{found[1].decode() if found else ''} {','.join(envelope.rcpt_tos)}")
        sizes.append(len(envelope.content))
        return "250 OK"


controller = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for line in sys.stdin:  # "count" prints what arrived so far and forgets it; end of input stops
    print(len(seen), len(set(seen)), sum(sizes) // max(1, len(sizes)), flush=True)
    seen.clear(), sizes.clear()
controller.stop()
'''

DISPATCHER = r'''
import json, os, sys, time
sys.path.insert(0, os.environ["BENCH_ROOT"])
from linktime import create_app
from linktime.extensions import db
from linktime.jobs.runner import dispatch

config = json.loads(os.environ["BENCH_CONFIG"])
app = create_app({k: v for k, v in config.items() if k != "INSTANCE"}, instance_path=config["INSTANCE"])
with app.app_context():
    import linktime.notifications.booking_messages  # noqa: F401  (what a running dispatcher has loaded)
    db.session.execute(db.text("SELECT 1"))
    db.session.commit()
    print("ready", flush=True)
    for _ in sys.stdin:  # each line: send everything due, then say how many
        sent = 0
        while outcomes := dispatch():
            sent += len(outcomes)
        print(sent, flush=True)
'''


def wait_for_outbox(config: dict, timeout: float = 60) -> None:
    """Until the web workers have sent what the last race queued (they send it in the background)."""
    from sqlalchemy import func, select

    from linktime import create_app
    from linktime.extensions import db
    from linktime.models import Job, JobStatus, now_utc

    app = create_app({k: v for k, v in config.items() if k != "INSTANCE"}, instance_path=config["INSTANCE"])
    deadline = time.monotonic() + timeout
    with app.app_context():
        try:
            while time.monotonic() < deadline and db.session.scalar(select(func.count(Job.id)).where(
                    Job.status == JobStatus.PENDING, Job.run_at <= now_utc())):
                db.session.rollback()
                time.sleep(0.2)
        finally:
            db.session.remove()
            db.engine.dispose()


class Sink:
    """An aiosmtpd server in its own process (as a mail server is), counting what arrives:
    Message-ID and recipient, to check that each message came exactly once."""

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-c", SINK, str(self.port)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            raise SystemExit("the SMTP sink did not start")

    def count(self) -> tuple[int, int, int]:
        """(received, distinct, average size in bytes) since the last count."""
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        received, distinct, size = map(int, self.process.stdout.readline().split())
        return received, distinct, size

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=20)


def raw_smtplib(port: int, count: int, size: int) -> float:
    """Seconds for ``count`` messages of ``size`` bytes by raw smtplib over one connection."""
    import smtplib

    lines, rest = divmod(max(0, size - 16), 78)
    sample = b"Subject: x\r\n\r\n" + (b"x" * 76 + b"\r\n") * lines + b"x" * rest
    began = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for _ in range(count):
            smtp.sendmail("bench@example.com", ["to@example.com"], sample)
    return time.perf_counter() - began


def queue_reminders(app) -> int:
    """The reminder jobs LinkTime queues for each booking (invitee and host), all due now, as
    reminders are when many bookings start at the same hour."""
    from sqlalchemy import select

    from linktime.extensions import db
    from linktime.jobs.outbox import enqueue
    from linktime.models import Booking, BookingStatus, now_utc

    with app.app_context():
        queued = 0
        for booking in db.session.scalars(select(Booking).where(Booking.status == BookingStatus.CONFIRMED,
                                                                Booking.start > now_utc())):
            for recipient in ("invitee", "host"):
                enqueue("email.booking", run_at=now_utc(), booking_id=booking.id, kind="reminder",
                        recipient=recipient, offset=60, for_start=booking.start.isoformat(),
                        dedupe_key=f"reminder:{booking.uid}:{recipient}:60:{booking.start.isoformat()}")
                queued += 1
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return queued


def mail(config: dict, dispatchers: int) -> dict:
    """Send every due job (the bookings' confirmations) through ``dispatchers`` dispatcher
    processes (as `flask run-jobs` runs) into an SMTP sink, then as many messages of the same size
    by raw smtplib over one connection into the same sink, five times (the median counts).
    Then a reminder for each booking's invitee and host, all due at once, the same way."""
    from sqlalchemy import func, select

    from linktime import create_app
    from linktime.extensions import db
    from linktime.models import Job, JobStatus, now_utc

    sink = Sink()
    processes = []

    def send_due() -> float:
        began = time.perf_counter()
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in processes:
            process.stdout.readline()
        return time.perf_counter() - began

    try:
        settings = {**config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port}
        app = create_app({k: v for k, v in settings.items() if k != "INSTANCE"}, instance_path=config["INSTANCE"])
        with app.app_context():
            due = db.session.scalar(select(func.count(Job.id)).where(
                Job.status == JobStatus.PENDING, Job.run_at <= now_utc(), Job.kind == "email.booking"))
        env = {**os.environ, "BENCH_ROOT": str(ROOT), "BENCH_CONFIG": json.dumps(settings)}
        processes = [subprocess.Popen([sys.executable, "-c", DISPATCHER], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True, env=env) for _ in range(dispatchers)]
        for process in processes:  # started and loaded: what is measured is the sending
            if process.stdout.readline().strip() != "ready":
                raise SystemExit("a dispatcher did not start")
        ours = send_due()
        sent, distinct, size = sink.count()
        sample = max(1, min(sent, 2000))  # raw smtplib's rate settles within a couple of thousand messages
        raw = statistics.median(raw_smtplib(sink.port, sample, size) for _ in range(5)) * sent / sample
        sink.count()
        reminders = queue_reminders(app)
        reminders_took = send_due()
        reminders_sent, reminders_distinct, _ = sink.count()
        with app.app_context():
            failed = db.session.scalar(select(func.count(Job.id)).where(Job.status == JobStatus.FAILED))
            db.session.remove()
            db.engine.dispose()
    finally:
        for process in processes:  # end of input: each finishes and closes its database cleanly
            process.stdin.close()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        sink.stop()
    return {"due": due, "sent": sent, "distinct": distinct, "failed": failed, "ours": ours, "raw": raw,
            "size": size, "dispatchers": dispatchers, "reminders": reminders, "reminders_sent": reminders_sent,
            "reminders_distinct": reminders_distinct, "reminders_took": reminders_took}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="an empty PostgreSQL database URL (default: a SQLite file)")
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (more than 1: gthread workers)")
    parser.add_argument("--races", type=int, default=3, help="how many times the 200-on-50 race is run")
    parser.add_argument("--dispatchers", type=int, default=os.cpu_count() or 1,
                        help="dispatcher processes sending the due mail (default: one per CPU)")
    parser.add_argument("--calendars", type=int, default=0,
                        help="connect this many Google calendars (played by the sandbox) checked for conflicts")
    parser.add_argument("--events", type=int, default=500, help="busy events in each of those calendars")
    parser.add_argument("--team", type=int, default=0,
                        help="also a team of this many members (each with --calendars calendars) and its pages")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with the data")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt install wrk (Debian/Ubuntu), brew install wrk (macOS)")

    work = Path(tempfile.mkdtemp(prefix="linktime-bench-"))
    instance = work / "instance"
    database = args.database or f"sqlite:///{work / 'bench.db'}"
    config = settings(database, instance)
    sandbox = None
    if args.calendars:  # the sandbox and the app share the instance's generated sandbox secret
        config = {k: v for k, v in config.items() if not k.startswith("ZOOM_SANDBOX_")}
    print(f"Setting up {args.bookings} bookings on {database.split(':')[0]} …", flush=True)
    facts = make_data(config, args.bookings, args.team)
    if args.calendars:
        sandbox, sandbox_url = start_sandbox(instance)
        config["ZOOM_SANDBOX_URL"] = sandbox_url
        print(f"Connecting {args.calendars} calendars with {args.events} busy events each …", flush=True)
        month = date.fromisoformat(facts["month"] + "-01")
        connect_calendars(config, sandbox_url, args.calendars, args.events, month - timedelta(days=7), 45)
    paths = [("/host/intro-call?tz=UTC", False),
             (f"/host/intro-call?tz=UTC&date={facts['day']}", True),
             (f"/host/intro-call?tz=UTC&month={facts['month']}", True)]
    names = ["booking page", "day partial (htmx)", "month partial (htmx)"]
    if args.team:
        paths += [("/team/bench", False), ("/team/bench/talk?tz=UTC", False),
                  (f"/team/bench/talk?tz=UTC&date={facts['day']}", True),
                  (f"/team/bench/talk?tz=UTC&month={facts['month']}", True)]
        names += ["team page", "team booking page", "team day partial", "team month partial"]

    print("Sending the due mail …", flush=True)
    mailed = mail(config, args.dispatchers)

    env = {**os.environ, "PYTHONPATH": str(ROOT), "LINKTIME_SCHEDULER_ENABLED": "false"}
    env.update({f"LINKTIME_{k}": json.dumps(v) if not isinstance(v, str) else v
                for k, v in config.items() if k != "INSTANCE"})
    (work / "app_entry.py").write_text(
        "from linktime import create_app\n"
        f"app = create_app(instance_path={str(instance)!r})\n")
    linktime, linktime_url, startup = start_server(work, "app_entry:app", env, args.workers, args.threads)
    pages = {}
    for path, htmx in paths:
        response = requests.get(linktime_url + path, headers={"HX-Request": "true"} if htmx else {}, timeout=30)
        response.raise_for_status()
        pages[path + ("|hx" if htmx else "")] = response.text
    (work / "pages.json").write_text(json.dumps(pages))
    (work / "ceiling.py").write_text(CEILING)
    ceiling, ceiling_url, _ = start_server(work, "ceiling:app", {**env, "BENCH_PAGES": str(work / "pages.json")},
                                           args.workers, args.threads)

    ratios: dict[str, list[float]] = {name: [] for name in names}
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    try:
        for round_number in range(args.rounds):
            print(f"Round {round_number + 1} of {args.rounds} …", flush=True)
            for name, (path, htmx) in zip(names, paths, strict=True):
                ours = wrk(linktime_url + path, htmx=htmx, seconds=args.seconds, connections=args.connections)
                bare = wrk(ceiling_url + path, htmx=htmx, seconds=args.seconds, connections=args.connections)
                ratios[name].append(ours / bare)
                rates[name].append((ours, bare))
        rss = worker_rss_mb(linktime)
        races = []
        for n in range(args.races):  # each on slots of its own, once the last one's mail has gone
            wait_for_outbox(config)
            races.append(
                race(linktime_url, (datetime.fromisoformat(facts["race_day"]) + timedelta(days=3 * n)).isoformat())
            )
    finally:
        stop(ceiling)
        stop(linktime)
    try:
        statements = sql_per_request(config, paths)
    finally:
        if sandbox is not None:
            stop(sandbox)

    print()
    print(f"{'what':24} {'LinkTime req/s':>16} {'ceiling req/s':>15} {'ratio median':>13} {'ratio min':>10}")
    for name in names:
        ours = statistics.median(r[0] for r in rates[name])
        bare = statistics.median(r[1] for r in rates[name])
        print(f"{name:24} {ours:16.0f} {bare:15.0f} {statistics.median(ratios[name]):12.0%} "
              f"{min(ratios[name]):10.0%}")
    print()
    for (path, count) in statements.items():
        print(f"SQL statements  {count:3d}  {path}")
    print(f"worker RSS      {', '.join(f'{mb:.0f} MB' for mb in rss)} (after the run)")
    print(
        f"start-up        {startup:.2f} s to the first answer ({args.workers} workers, {args.threads} thread(s) each)"
    )
    for n, contention in enumerate(races, 1):
        print(f"200 POSTs on 50 slots ({n}): {contention['booked']} booked, {contention['taken']} told 'taken', "
              f"{contention['errors']} errors, {contention['other']} other; "
              f"p50 {contention['p50']:.2f} s, p95 {contention['p95']:.2f} s")
    print(f"race p95, median of {len(races)}: {statistics.median(r['p95'] for r in races):.2f} s")
    print(f"mail: {mailed['due']} due booking emails -> {mailed['sent']} received ({mailed['distinct']} distinct, "
          f"{mailed['failed']} failed) in {mailed['ours']:.1f} s by {mailed['dispatchers']} dispatcher(s) "
          f"= {mailed['sent'] / mailed['ours']:.0f}/s; raw smtplib {mailed['sent'] / mailed['raw']:.0f}/s "
          f"({mailed['size']:,} bytes a message); ratio {mailed['raw'] / mailed['ours']:.0%}")
    print(f"reminders: {mailed['reminders']} due at one moment -> {mailed['reminders_sent']} received "
          f"({mailed['reminders_distinct']} distinct) in {mailed['reminders_took']:.1f} s")
    if args.calendars:
        print(f"calendars: {args.calendars} Google calendars (sandbox) with {args.events} busy events each, "
              f"checked for conflicts{f', for each of the {args.team} members' if args.team else ''}")
    print(f"\nmachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
          + (f"; data kept in {work}" if args.keep else ""))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
