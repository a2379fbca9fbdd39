"""What reaches a team's other tools: webhooks (and each event delivered to them) and API keys."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linktime.extensions import Model
from linktime.models.columns import UTCDateTime, new_uid, now_utc, sealed

if TYPE_CHECKING:
    from linktime.models.accounts import User


class WebhookEvent(StrEnum):
    CREATED = "booking.created"
    RESCHEDULED = "booking.rescheduled"
    CANCELLED = "booking.cancelled"
    LINK_READY = "meeting.link_ready"
    TEST = "webhook.test"  # "Send a test event": to one webhook, whatever it subscribes to


class Webhook(Model):
    """A URL that is told of bookings: a host's own, or (made by an admin) every host's."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    whole_team: Mapped[bool] = mapped_column(default=False)  # every host's bookings (admins only)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSON, default=list)  # WebhookEvent values
    secret_enc: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Since when every delivery has failed (None while the last one got through); a webhook failing
    # for WEBHOOK_DISABLE_AFTER_DAYS is turned off and its owner told.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship()

    secret = sealed("secret_enc", "The signing secret, in clear (shown to its owner once).")

    def wants(self, event: str) -> bool:
        return self.enabled and (event in (self.events or []) or event == WebhookEvent.TEST)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(Model):
    """One event for one webhook, written in the transaction of the change it tells of. Its
    ``event_id`` is the same on every attempt (receivers drop repeats by it); deliveries about one
    booking leave in the order they were made."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_order", "webhook_id", "booking_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    event: Mapped[str] = mapped_column(String(40))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    payload: Mapped[dict] = mapped_column(JSON)  # as it was when the change happened
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    response_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The lease of the runner sending it (jobs/sync_lease.py): one sender at a time, across processes.
    sync_token: Mapped[str | None] = mapped_column(String(32))
    sync_claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    webhook: Mapped[Webhook] = relationship()


class ApiKey(Model):
    """A key to the REST API, acting as the user who made it. Only its SHA-256 is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(20))  # its first characters, to tell keys apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
