"""What a webhook is told, written in the transaction of the change it tells of.

Each event becomes one ``WebhookDelivery`` per webhook that wants it, its payload taken from the
booking as the change left it. Deliveries about one booking to one webhook leave one at a time, in
the order they were made: only the first waiting one has a job; each, once delivered or given up,
queues the next (``delivery.next_in_line``). Both sides hold the webhook's row while they look, so a
delivery made while the one before it finishes is never left without a job.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from linktime.extensions import db
from linktime.jobs.kinds import JobKind
from linktime.jobs.outbox import enqueue
from linktime.models import Booking, DeliveryStatus, Job, User, Webhook, WebhookDelivery, WebhookEvent, now_utc

MAX_ATTEMPTS = 15  # 30 s, 1 min, 2 min … then hourly: about nine hours of retries per delivery


def iso(moment: datetime | None) -> str | None:
    """UTC, ISO 8601, with a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None


def booking_data(booking: Booking) -> dict[str, Any]:
    """A booking as webhooks and the API show it (README → Webhooks → Payload)."""
    event_type = booking.event_type
    meeting = booking.meeting
    link = meeting.join_url if meeting is not None and meeting.is_created and not booking.is_cancelled else None
    if link is None and booking.location == "custom_link":
        link = booking.location_detail or None
    return {
        "id": booking.id,
        "uid": booking.uid,
        "eventType": None if event_type is None else {
            "id": event_type.id, "name": event_type.title, "slug": event_type.slug,
            "duration": event_type.duration_minutes},
        "title": booking.title,
        "startTime": iso(booking.start),
        "endTime": iso(booking.end),
        "status": "CANCELLED" if booking.is_cancelled else "CONFIRMED",
        "invitee": None if booking.internal else {
            "name": booking.invitee_name, "email": booking.invitee_email, "timezone": booking.invitee_timezone},
        "host": {"id": booking.host.id, "name": booking.host.name, "email": booking.host.email},
        "hosts": [{"id": host.id, "name": host.name, "email": host.email} for host in booking.hosts],
        "meetingLink": link,
        "location": {"type": booking.location, "detail": booking.location_detail or None},
        "notes": booking.notes or None,
        "answers": [{"question": question, "answer": answer} for question, answer in booking.answer_list],
        "guests": booking.guest_list,
        "isRecurring": booking.series_id is not None,
        "recurringGroupId": booking.series_id,
        "createdAt": iso(booking.created_at),
    }


def payload(event: str, booking: Booking | None, occurred: datetime, **extra: Any) -> dict[str, Any]:
    data = booking_data(booking) if booking is not None else {}
    data.update(extra)
    return {"event": event, "timestamp": iso(occurred), "data": data}


def subscribed(booking: Booking, event: str) -> list[Webhook]:
    """The enabled webhooks that want ``event`` about this booking: its hosts' own, and whole-team
    ones (an admin's)."""
    hooks = db.session.scalars(
        select(Webhook).where(Webhook.enabled.is_(True),
                              or_(Webhook.user_id.in_(booking.host_ids), Webhook.whole_team.is_(True)))
        .order_by(Webhook.id)
    ).all()
    return [hook for hook in hooks if hook.wants(event)]


def queue_event(booking: Booking, event: WebhookEvent, **extra: Any) -> list[Job | None]:
    """Record ``event`` for every webhook that wants it, in the caller's transaction."""
    occurred = now_utc()
    jobs: list[Job | None] = []
    for hook in subscribed(booking, event):  # in id order: every writer locks webhooks in one order
        lock_webhook(hook.id)  # before the delivery's row (its key share on the webhook would deadlock)
        delivery = WebhookDelivery(webhook_id=hook.id, event=event.value, booking_id=booking.id,
                                   payload=payload(event.value, booking, occurred, **extra), occurred_at=occurred)
        db.session.add(delivery)
        db.session.flush()
        jobs.append(start_if_first(delivery))
    return jobs


def lock_webhook(webhook_id: int) -> None:
    """Hold the webhook's row for the rest of this transaction (see the module's docstring). Taken
    before anything else of the webhook is written in the transaction: on PostgreSQL a delivery's
    insert takes a key-share lock on its webhook, and an update of the webhook a no-key-update lock;
    asking for the whole row after either, two transactions would wait on each other."""
    with db.session.no_autoflush:
        db.session.execute(select(Webhook.id).where(Webhook.id == webhook_id).with_for_update())


def start_if_first(delivery: WebhookDelivery) -> Job | None:
    """Give ``delivery`` its job, unless an earlier one about the same booking is still waiting
    (that one queues it when it is done)."""
    lock_webhook(delivery.webhook_id)
    if delivery.booking_id is not None:
        earlier = db.session.scalar(
            select(WebhookDelivery.id).where(
                WebhookDelivery.webhook_id == delivery.webhook_id, WebhookDelivery.booking_id == delivery.booking_id,
                WebhookDelivery.id < delivery.id, WebhookDelivery.status == DeliveryStatus.PENDING.value)
            .limit(1))
        if earlier is not None:
            return None
    return send_job(delivery)


def send_job(delivery: WebhookDelivery, *, new: bool = True) -> Job | None:
    """The delivery's job (``new``: made in this transaction, so no job can hold its key yet)."""
    job = enqueue(JobKind.WEBHOOK_DELIVERY, dedupe_key=f"webhook-delivery:{delivery.id}", new=new,
                  delivery_id=delivery.id)
    if job is not None:
        job.max_attempts = MAX_ATTEMPTS
    return job


def test_event(webhook: Webhook, by: User) -> Job | None:
    """A made-up booking event, to this webhook only ("Send a test event")."""
    occurred = now_utc()
    delivery = WebhookDelivery(webhook_id=webhook.id, event=WebhookEvent.TEST.value, booking_id=None,
                               occurred_at=occurred,
                               payload=payload(WebhookEvent.TEST.value, None, occurred,
                                               message="A test event from LinkTime: your endpoint is reached.",
                                               sentBy={"id": by.id, "name": by.name, "email": by.email}))
    db.session.add(delivery)
    db.session.flush()
    return send_job(delivery)
