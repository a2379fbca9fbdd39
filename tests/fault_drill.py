"""The fault drill: LinkTime as an operator runs it — two web processes and two job dispatchers on
one database — while the sandbox (Zoom, and Google Calendar) answers as real providers do on a bad
day: 5xx, 429 with Retry-After, slow answers, answers lost after the provider acted.

One run per seed: a host of its own connects Zoom and Google Calendar, then ``ops`` random
bookings, reschedules and cancels go to either web process, each perhaps after a fault was armed.
Meanwhile the host's webhook receiver fails or answers too late now and then, and a dispatcher is
killed (SIGKILL) and replaced. Once the faults stop and every waiting job has had its turn, what
mirrors each booking outside the database must match it exactly: one Zoom meeting per live booking
at its time (none for cancelled ones), one event in the host's calendar with the meeting's link,
each message delivered once, every webhook event delivered in the order of its booking's changes
(never again after the receiver acknowledged it, unless its dispatcher was killed meanwhile), and
both processes offering the same free times.

Used by ``tests/web/test_fault_drill.py`` (a few seeds, in CI) and ``bench/fault_drill.py`` (as
many as you like).
"""
from __future__ import annotations

import random
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote

import requests
from sqlalchemy import select, update

from linktime.extensions import db
from linktime.models import (
    Booking,
    BookingStatus,
    CalendarEvent,
    DeliveryStatus,
    DesiredState,
    Job,
    JobStatus,
    Meeting,
    WebhookDelivery,
)
from tests.helpers import ROOT, free_port, process_env

ZOOM_PATHS = (("POST", "/v2/users/me/meetings"), ("GET", "/v2/users/me/meetings"), ("PATCH", None), ("DELETE", None))
FAULTS = ("error", "rate_limit", "lost_answer", "hang")
SETTLE_SECONDS = 240


def refused_unchecked(answer: requests.Response) -> bool:
    """A booking or move refused because the host's calendar could not be read fresh (a fault at
    the calendar service): never confirmed unchecked, and nothing changed."""
    return answer.status_code == 503 and "could not be checked just now" in answer.text


@dataclass
class Nodes:
    """The processes of one deployment: web nodes (their URLs) and dispatchers."""

    urls: list[str]
    processes: list[subprocess.Popen] = field(default_factory=list)
    dispatchers: list[subprocess.Popen] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    killed_at: list[float] = field(default_factory=list)  # when a dispatcher was killed (monotonic)

    def start_dispatcher(self) -> None:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run-jobs", "--interval", "0.2"],
                                   cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(process)
        self.dispatchers.append(process)

    def kill_dispatcher(self, rng: random.Random) -> None:
        """SIGKILL one dispatcher, whatever it is doing (a claim, a lease, a request half-sent), and
        start another in its place."""
        victim = rng.choice(self.dispatchers)
        victim.kill()
        victim.wait(10)
        self.killed_at.append(time.monotonic())
        self.dispatchers.remove(victim)
        self.start_dispatcher()

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def start_nodes(app, smtp_port: int, *, web: int = 2, dispatchers: int = 2) -> Nodes:
    """Start ``web`` gunicorn processes and ``dispatchers`` job runners on the app's database."""
    env = process_env(app, WTF_CSRF_ENABLED="false", ZOOM_TIMEOUT="2", CALENDAR_TIMEOUT="2",
                      MEETING_WAIT_SECONDS="0", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port),
                      JOB_LEASE_SECONDS="10", RATELIMIT_ENABLED="false", BOOKINGS_PER_HOST_PER_DAY="100000",
                      BOOKINGS_PER_EMAIL_PER_DAY="100000", WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
                      WEBHOOK_TIMEOUT="2")
    nodes = Nodes(urls=[], env=env)
    for _ in range(web):
        port = free_port()
        nodes.processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4", "--bind", f"127.0.0.1:{port}",
             "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        nodes.urls.append(f"http://127.0.0.1:{port}")
    for _ in range(dispatchers):
        nodes.start_dispatcher()
    deadline = time.monotonic() + 60
    for url in nodes.urls:
        while True:
            try:
                if requests.get(f"{url}/login", timeout=2).status_code < 500:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                nodes.stop()
                raise RuntimeError(f"{url} did not start")
            time.sleep(0.2)
    return nodes


@dataclass
class Drill:
    app: object
    nodes: Nodes
    sandbox: object  # the sandbox's LiveServer
    smtp: object
    username: str
    rng: random.Random
    days: list[date]
    receiver: object = None  # the host's webhook receiver (tests.helpers.WebhookReceiver), if any
    links: dict[int, str] = field(default_factory=dict)  # booking id -> its manage path
    log: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ operations

    def node(self) -> str:
        return self.rng.choice(self.nodes.urls)

    def free_times(self, url: str, day: date) -> list[str]:
        page = requests.get(f"{url}/{self.username}/intro-call", params={"date": day.isoformat(), "tz": "UTC"},
                            timeout=30).text
        return [unquote(s) for s in re.findall(r'class="outline slot" href="[^"]*start=([^&"]+)', page)]

    def arm_fault(self) -> None:
        kind = self.rng.choice(FAULTS)
        if self.rng.random() < 0.5:
            method, path = self.rng.choice(ZOOM_PATHS)
        else:
            method, path = self.rng.choice((("POST", None), ("PATCH", None), ("DELETE", None)))
        self.sandbox.state.add_fault(kind, status=self.rng.choice((500, 502, 503)), seconds=3, method=method,
                                     path=path)
        self.log.append(f"fault {kind} {method} {path or '*'}")

    def book(self) -> None:
        url, day = self.node(), self.rng.choice(self.days)
        times = self.free_times(url, day)
        if not times:
            return
        start = self.rng.choice(times)
        form = requests.get(f"{url}/{self.username}/intro-call/book", params={"start": start, "tz": "UTC"}, timeout=30)
        key = re.search(r'name="key" type="hidden" value="([^"]*)"', form.text)
        n = len(self.links) + 1
        answer = requests.post(f"{url}/{self.username}/intro-call/book", allow_redirects=False, timeout=60, data={
            "start": start, "key": key.group(1) if key else "", "name": f"Invitee {n}",
            "email": f"invitee{n}.{self.username}@example.com", "tz": "UTC", "notes": ""})
        assert answer.status_code in (303, 409, 200) or refused_unchecked(answer), (
            answer.status_code,
            answer.text[:500],
        )
        if answer.status_code == 503:
            self.log.append(f"book {start}: refused, a calendar could not be checked")
        if answer.status_code == 303:
            path = answer.headers["Location"].split("?")[0].split("127.0.0.1:5000")[-1]
            with self.app.app_context():
                booking = db.session.scalar(select(Booking).where(
                    Booking.invitee_email == f"invitee{n}.{self.username}@example.com"))
                self.links[booking.id] = path
            self.log.append(f"book {start} -> {booking.id}")

    def live(self) -> list[int]:
        with self.app.app_context():
            ids = set(db.session.scalars(select(Booking.id).where(
                Booking.id.in_(list(self.links)), Booking.status == BookingStatus.CONFIRMED)))
        return sorted(ids)

    def reschedule(self) -> None:
        live = self.live()
        if not live:
            return
        booking_id, url = self.rng.choice(live), self.node()
        times = self.free_times(url, self.rng.choice(self.days))
        if not times:
            return
        start = self.rng.choice(times)
        answer = requests.post(f"{url}{self.links[booking_id]}/reschedule", data={"start": start, "tz": "UTC"},
                               allow_redirects=False, timeout=60)
        assert answer.status_code in (200, 302, 303, 409) or refused_unchecked(answer), \
            (answer.status_code, answer.text[:500])
        self.log.append(f"reschedule {booking_id} -> {start}: {answer.status_code}")

    def cancel(self) -> None:
        live = self.live()
        if not live:
            return
        booking_id = self.rng.choice(live)
        answer = requests.post(f"{self.node()}{self.links[booking_id]}/cancel", data={"reason": ""},
                               allow_redirects=False, timeout=60)
        assert answer.status_code in (200, 302, 303), (answer.status_code, answer.text[:500])
        self.log.append(f"cancel {booking_id}: {answer.status_code}")

    def receiver_fault(self) -> None:
        """The receiver fails the next request, or answers it after LinkTime stopped waiting."""
        kind = self.rng.choice((500, 503, "slow"))
        with self.receiver.lock:
            self.receiver.plan.append(kind)
        self.log.append(f"receiver {kind}")

    def run(self, ops: int) -> None:
        for _ in range(ops):
            if self.rng.random() < 0.35:
                self.arm_fault()
            if self.receiver is not None and self.rng.random() < 0.2:
                self.receiver_fault()
            if self.rng.random() < 0.03:
                self.nodes.kill_dispatcher(self.rng)
                self.log.append("a dispatcher killed")
            roll = self.rng.random()
            (self.book if roll < 0.5 or not self.links else self.reschedule if roll < 0.8 else self.cancel)()

    # ------------------------------------------------------------------ settling and checking

    def settle(self) -> None:
        """Faults stop; every waiting job is tried now (as "Try now" does) until nothing waits."""
        with self.sandbox.state.lock:
            self.sandbox.state.faults.clear()
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            with self.app.app_context():
                db.session.execute(update(Job).where(Job.status == JobStatus.PENDING).values(run_at=datetime.now(UTC)))
                db.session.commit()
                waiting = db.session.query(Job).filter(Job.status == JobStatus.PENDING).count()
                waiting += db.session.query(WebhookDelivery).filter(
                    WebhookDelivery.status == DeliveryStatus.PENDING).count()
                behind = [m for m in db.session.scalars(select(Meeting)) if not m.in_sync] + \
                         [e for e in db.session.scalars(select(CalendarEvent)) if not e.in_sync]
            if not waiting and not behind:
                return
            time.sleep(0.2)
        with self.app.app_context():
            stuck = [(j.id, j.kind, j.run_at, j.claimed_until, j.attempts, (j.last_error or "")[:80])
                     for j in db.session.scalars(select(Job).where(Job.status == JobStatus.PENDING).limit(5))]
        raise AssertionError(f"still out of sync after {SETTLE_SECONDS} s: {waiting} jobs waiting, {behind}; "
                             f"now {datetime.now(UTC)}, e.g. {stuck}")

    def check(self) -> None:
        """Every invariant, with what drifted named."""
        with self.app.app_context():
            failed = [(j.kind, j.payload, j.last_error) for j in db.session.scalars(
                select(Job).where(Job.status == JobStatus.FAILED))]
            assert failed == [], f"jobs gave up: {failed}"
            bookings = list(db.session.scalars(select(Booking).where(Booking.id.in_(list(self.links)))))
            meetings = {m.id: m for m in db.session.scalars(select(Meeting))}
            events = {e.id: e for e in db.session.scalars(select(CalendarEvent))}
            host_email = f"{self.username}@zoom-sandbox.test"
            with self.sandbox.state.lock:
                at_zoom = [m for m in self.sandbox.state.meetings.values()
                           if m["host_email"] == host_email and not m["deleted"]]
            calendar = google_events(self.sandbox, f"{self.username}@gmail-sandbox.test")
            for booking in bookings:
                meeting = meetings.get(booking.meeting_id)
                mine = [m for m in at_zoom if meeting is not None and meeting.uid in (m.get("agenda") or "")]
                ours = [e for e in calendar if e["uid"] == f"{booking.uid}@linktime"]
                if booking.status == BookingStatus.CONFIRMED:
                    assert meeting is not None and meeting.desired_state == DesiredState.PRESENT, booking.id
                    assert len(mine) == 1, (booking.id, "Zoom meetings", mine)
                    assert mine[0]["start_time"] == booking.start.strftime("%Y-%m-%dT%H:%M:%SZ"), (booking.id, mine)
                    assert str(mine[0]["id"]) == meeting.external_id and mine[0]["join_url"] == meeting.join_url
                    assert len(ours) == 1, (booking.id, "calendar events", ours)
                    assert ours[0]["start"] == booking.start and ours[0]["where"] == meeting.join_url, ours
                else:
                    assert mine == [], (booking.id, "left at Zoom", mine)
                    assert ours == [], (booking.id, "left in the calendar", ours)
            made = {m.uid for m in meetings.values()}
            strays = [m for m in at_zoom if not any(uid in (m.get("agenda") or "") for uid in made)]
            assert strays == [], f"Zoom meetings no booking made: {strays}"
            assert all(e.in_sync for e in events.values())
        if self.receiver is not None:
            self.check_webhooks()
        # each message once per recipient
        sent = Counter((m["Message-ID"], m["To"]) for m in self.smtp.messages)
        # A dispatcher killed after the mail server took a message, before it recorded so, sends it
        # again: the same Message-ID, which mail programs show once. Otherwise never twice.
        twice = [k for k, n in sent.items() if n > (2 if self.nodes.killed_at else 1)]
        if twice:
            with self.app.app_context():
                jobs = [(j.id, j.payload, j.attempts, j.status, j.created_at, j.updated_at, j.last_error)
                        for j in db.session.scalars(select(Job).where(Job.kind == "email.booking"))]
            raise AssertionError(f"delivered twice: {twice}\n" + "\n".join(map(str, jobs)))
        # every node offers the same times
        for day in self.days:
            offered = {tuple(self.free_times(url, day)) for url in self.nodes.urls}
            if len(offered) != 1:
                with self.app.app_context():
                    seen = [(e.id, e.status, e.written_start, e.released_start, e.released_at,
                             [(b.id, b.status, b.start) for b in e.bookings])
                            for e in db.session.scalars(select(CalendarEvent))
                            if any(b.start.date() == day for b in e.bookings)
                            or (e.released_start and e.released_start.date() == day)]
                raise AssertionError(f"the nodes disagree on {day}: {offered}\n" + "\n".join(map(str, seen))
                                     + "\n" + "\n".join(self.log))


    def check_webhooks(self) -> None:
        """Every delivery delivered; per booking, the receiver first met its events in the order they
        were made; none arrived again after a prompt 2xx, unless a dispatcher was killed since."""
        with self.app.app_context():
            rows = [(d.id, d.event_id, d.booking_id, d.status) for d in db.session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.booking_id.in_(list(self.links)))
                .order_by(WebhookDelivery.id))]
        assert [r for r in rows if r[3] != DeliveryStatus.DELIVERED] == [], "webhook events not delivered"
        with self.receiver.lock:
            received = list(self.receiver.received)
        first_seen: dict[str, int] = {}
        acknowledged: dict[str, float] = {}
        for n, request in enumerate(received):
            event_id = request["headers"]["X-LinkTime-Delivery"]
            first_seen.setdefault(event_id, n)
            if event_id in acknowledged:
                killed = [t for t in self.nodes.killed_at if acknowledged[event_id] <= t <= request["at"]]
                assert killed, f"event {event_id} sent again after the receiver acknowledged it"
            if request["answer"] == 200:
                acknowledged.setdefault(event_id, request["at"])
        streams: dict[int, list[tuple[int, str]]] = {}
        for delivery_id, event_id, booking_id, _status in rows:
            assert event_id in first_seen, f"delivery {delivery_id} never reached the receiver"
            streams.setdefault(booking_id, []).append((delivery_id, event_id))
        for booking_id, stream in streams.items():
            order = [first_seen[event_id] for _delivery_id, event_id in stream]
            assert order == sorted(order), f"booking {booking_id}'s events arrived out of order"


def google_events(sandbox, email: str) -> list[dict]:
    """LinkTime's events in the sandbox Google account's calendars: uid, start and where."""
    state = sandbox.app.extensions["calendar_sandbox"]
    with state.lock:
        account = state.accounts.get(("google", email), {"calendars": {}})
        return [{"uid": ev.get("uid", ""), "start": ev["start"], "where": ev.get("location", "")}
                for cal in account["calendars"].values() for ev in cal["events"].values()
                if not ev.get("cancelled") and ev.get("uid")]


def drill_days(count: int = 5) -> list[date]:
    """The next ``count`` weekdays from the day after tomorrow (real time: the processes use it)."""
    day, days = datetime.now(UTC).date() + timedelta(days=2), []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days
