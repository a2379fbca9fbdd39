"""Sending one webhook delivery: signed, to a checked address, within a total deadline; retried
by the outbox until the receiver answers 2xx; the next delivery about the same booking queued
once this one is done.

A delivery is sent under a lease on its row (``jobs/sync_lease.py``), fenced right before the
request: a runner that stalled past its lease makes no request. The receiver may still get one
event twice (an answer lost, a crash after it was sent): its ``X-LinkTime-Delivery`` id is the same
on every attempt, so receivers drop repeats by it.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from flask import current_app
from sqlalchemy import select, update

from linktime import audit
from linktime.calendars.caldav.addresses import METADATA, IPNetwork
from linktime.extensions import db
from linktime.http import DeadlinePassed, bounded_session, deadline, out_of_time, time_left
from linktime.jobs import sync_lease
from linktime.jobs.kinds import JobKind
from linktime.jobs.outbox import Retry, enqueue
from linktime.models import DeliveryStatus, Job, Webhook, WebhookDelivery, now_utc
from linktime.webhooks.events import lock_webhook, send_job

USER_AGENT = "LinkTime-Webhook/1.0"
BUSY_WAIT = timedelta(seconds=2)


class SendError(Exception):
    """The receiver was not reached, or its address is one LinkTime does not send to."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``<timestamp>.<body>`` with the webhook's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def allowed_networks() -> tuple[IPNetwork, ...]:
    text = str(current_app.config.get("WEBHOOK_ALLOWED_NETWORKS") or "")
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allowed: tuple[IPNetwork, ...]) -> bool:
    """Public addresses only, unless the operator allows a network (WEBHOOK_ALLOWED_NETWORKS): no
    loopback, private, link-local or cloud metadata address otherwise."""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_multicast or ip.is_unspecified or any(ip in network for network in METADATA) or \
            (ip.version == 4 and ip in ipaddress.ip_network("169.254.169.254/32")):
        return False
    if any(ip.version == network.version and ip in network for network in allowed):
        return True
    return ip.is_global


def checked_address(url: str) -> tuple[str, str]:
    """The URL's host and the one address requests go to (every address it resolves to checked)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SendError("the address does not start with http:// or https://")
    host = parts.hostname.lower()
    try:
        found = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        raise SendError(f"{host} could not be found") from None
    addresses = [str(info[4][0]).split("%", 1)[0] for info in found]
    allowed = allowed_networks()
    if not addresses or not all(address_allowed(ipaddress.ip_address(a), allowed) for a in addresses):
        raise SendError(f"{host} is not a public address (the operator can allow private networks: "
                        "WEBHOOK_ALLOWED_NETWORKS)")
    return host, addresses[0]


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST once, within WEBHOOK_TIMEOUT in all (a receiver that drips is cut off); the status code."""
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT", 10))
    host, address = checked_address(url)
    session = bounded_session({host: address})
    try:
        with deadline(timeout):
            try:
                response = session.post(url, data=body, headers=headers, timeout=time_left(timeout),
                                        allow_redirects=False, stream=True)
                response.close()
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                if isinstance(exc, DeadlinePassed) or out_of_time():  # cut off at the deadline
                    raise SendError(f"no answer within {timeout:g} s") from None
                raise SendError(f"{host} could not be reached ({type(exc).__name__})") from None
    finally:
        session.close()
    return response.status_code


def send_delivery(delivery_id: int) -> None:
    """The outbox's handler of one delivery (see the module's docstring)."""
    token = sync_lease.take(WebhookDelivery, delivery_id)
    if token is None:
        if db.session.get(WebhookDelivery, delivery_id) is None:
            return
        raise Retry("another runner is sending this delivery", at=now_utc() + BUSY_WAIT, counts=False)
    try:
        _attempt(delivery_id, token)
    finally:
        sync_lease.release(WebhookDelivery, delivery_id, token)


def _attempt(delivery_id: int, token: str) -> None:
    delivery = sync_lease.held(WebhookDelivery, delivery_id, token)
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        db.session.commit()
        return
    hook = delivery.webhook
    if not hook.enabled:
        lock_webhook(hook.id)
        close(delivery, DeliveryStatus.FAILED, "not sent: the webhook is turned off")
        db.session.commit()
        return
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    stamp = str(delivery.payload.get("timestamp") or "")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-LinkTime-Event": delivery.event,
               "X-LinkTime-Timestamp": stamp, "X-LinkTime-Delivery": delivery.event_id,
               "X-LinkTime-Signature": signature(hook.secret or "", stamp, body)}
    url = hook.url
    db.session.commit()  # nothing held while the receiver is asked
    sync_lease.fence(WebhookDelivery, delivery_id, token)
    try:
        code: int | None = post(url, body, headers)
        error = "" if code is not None and 200 <= code < 300 else f"answered HTTP {code}"
    except SendError as exc:
        code, error = None, str(exc)
    delivery = sync_lease.held(WebhookDelivery, delivery_id, token)
    if delivery is None:  # taken over meanwhile: the new holder records its own attempt
        db.session.commit()
        return
    lock_webhook(delivery.webhook_id)  # first: what follows writes the webhook and may queue the next
    now = now_utc()
    delivery.attempts += 1
    delivery.last_attempt_at, delivery.response_code, delivery.last_error = now, code, error
    hook = delivery.webhook
    if not error:
        hook.failing_since = None
        close(delivery, DeliveryStatus.DELIVERED)
        db.session.commit()
        return
    hook.failing_since = hook.failing_since or now
    days = float(current_app.config.get("WEBHOOK_DISABLE_AFTER_DAYS", 3))
    if now - hook.failing_since >= timedelta(days=days):
        turn_off(hook, f"every delivery has failed for {days:g} days (last: {error})")
        db.session.commit()
        return
    db.session.commit()
    raise Retry(f"{urlsplit(url).netloc}: {error}")


def close(delivery: WebhookDelivery, status: DeliveryStatus, error: str | None = None) -> None:
    """Done with this delivery (delivered, or given up): the next one about its booking may go."""
    delivery.status = status.value
    if error is not None:
        delivery.last_error = error
    if status is DeliveryStatus.DELIVERED:
        delivery.delivered_at = now_utc()
    db.session.flush()
    next_in_line(delivery)


def next_in_line(delivery: WebhookDelivery) -> None:
    if delivery.booking_id is None:
        return
    lock_webhook(delivery.webhook_id)
    following = db.session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.webhook_id == delivery.webhook_id, WebhookDelivery.booking_id == delivery.booking_id,
            WebhookDelivery.id > delivery.id, WebhookDelivery.status == DeliveryStatus.PENDING.value)
        .order_by(WebhookDelivery.id).limit(1))
    if following is not None:
        send_job(following)


def gave_up(delivery_id: int, error: str = "", **_: Any) -> None:
    """The outbox gave up on a delivery (its retries ran out): it is failed; the next may go."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is not None and delivery.status == DeliveryStatus.PENDING:
        lock_webhook(delivery.webhook_id)
        close(delivery, DeliveryStatus.FAILED, error or delivery.last_error)


def turn_off(hook: Webhook, reason: str) -> None:
    """Disable a webhook that keeps failing: its waiting deliveries are failed (they stay in the
    log, to send again), and its owner is emailed."""
    hook.enabled, hook.disabled_reason = False, reason[:2000]
    db.session.execute(update(WebhookDelivery)
                       .where(WebhookDelivery.webhook_id == hook.id,
                              WebhookDelivery.status == DeliveryStatus.PENDING.value)
                       .values(status=DeliveryStatus.FAILED.value, last_error="not sent: the webhook was turned off")
                       .execution_options(synchronize_session="fetch"))
    audit.record(hook.user_id, "webhook.disabled", f"Webhook {hook.url} turned off: {reason}"[:1000])
    enqueue(JobKind.ACCOUNT_EMAIL, kind="webhook_disabled", user_id=hook.user_id, webhook_id=hook.id,
            dedupe_key=f"webhook-disabled:{hook.id}:{hook.failing_since.isoformat() if hook.failing_since else ''}")


def send_again(delivery: WebhookDelivery) -> Job | None:
    """The owner asked for this event again: the same event id, from the first attempt."""
    delivery.status, delivery.last_error = DeliveryStatus.PENDING.value, ""
    delivery.delivered_at = None
    db.session.flush()
    return send_job(delivery, new=False)
