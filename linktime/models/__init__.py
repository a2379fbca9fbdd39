"""Database models (SQLAlchemy 2.0, typed), one module per domain. All instants are stored in UTC.

Every table is imported here, so that relationships named by class resolve, and so that
``from linktime.models import Booking`` works wherever a model is needed."""
from __future__ import annotations

from linktime.models.accounts import (
    AuditEvent,
    FormerUsername,
    Invite,
    RateLimit,
    RevokedSession,
    User,
    UserPhoto,
)
from linktime.models.bookings import (
    Booking,
    BookingHistory,
    BookingStatus,
    SmsOptOut,
)
from linktime.models.calendars import (
    CalendarConnection,
    CalendarEvent,
    CalendarProvider,
    ConnectedCalendar,
    EventStatus,
)
from linktime.models.columns import (
    UTCDateTime,
    new_token,
    new_uid,
    now_utc,
    sealed,
    sealed_context,
)
from linktime.models.conferencing import (
    Meeting,
    MeetingStatus,
    ZoomAuthorization,
    ZoomConnection,
)
from linktime.models.connections import (
    ConnectionStatus,
    DesiredState,
    RenewableGrant,
)
from linktime.models.event_types import (
    LOCATION_LABELS,
    EventType,
    Location,
)
from linktime.models.integrations import (
    ApiKey,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from linktime.models.jobs import (
    Job,
    JobStatus,
)
from linktime.models.schedules import Schedule
from linktime.models.teams import (
    BookingHost,
    EventTypeHost,
    OutOfOffice,
    Scheduling,
    Team,
    TeamMember,
)

__all__ = [
    "LOCATION_LABELS",
    "ApiKey",
    "AuditEvent",
    "Booking",
    "BookingHistory",
    "BookingHost",
    "BookingStatus",
    "CalendarConnection",
    "CalendarEvent",
    "CalendarProvider",
    "ConnectedCalendar",
    "ConnectionStatus",
    "DeliveryStatus",
    "DesiredState",
    "EventStatus",
    "EventType",
    "EventTypeHost",
    "FormerUsername",
    "Invite",
    "Job",
    "JobStatus",
    "Location",
    "Meeting",
    "MeetingStatus",
    "OutOfOffice",
    "RateLimit",
    "RenewableGrant",
    "RevokedSession",
    "Schedule",
    "Scheduling",
    "SmsOptOut",
    "Team",
    "TeamMember",
    "UTCDateTime",
    "User",
    "UserPhoto",
    "Webhook",
    "WebhookDelivery",
    "WebhookEvent",
    "ZoomAuthorization",
    "ZoomConnection",
    "new_token",
    "new_uid",
    "now_utc",
    "sealed",
    "sealed_context",
]
