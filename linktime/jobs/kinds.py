"""Every kind of background job. The value is stored with each queued job, so it never changes;
``linktime/wiring.py`` says which function runs each kind."""
from __future__ import annotations

from enum import StrEnum


class JobKind(StrEnum):
    BOOKING_EMAIL = "email.booking"  # a confirmation, change, cancellation or reminder email
    ACCOUNT_EMAIL = "email.account"  # an invite, a sign-up link, an address change
    ZOOM_ATTENTION_EMAIL = "email.zoom_attention"  # "your Zoom connection needs you", once
    SMS_REMINDER = "sms.reminder"  # a text or WhatsApp reminder
    MEETING_SYNC = "meeting.sync"  # a booking's Zoom or Meet meeting brought to its desired state
    CALENDAR_EVENT_SYNC = "calendar_event.sync"  # a booking's event in the host's calendar, likewise
    WEBHOOK_DELIVERY = "webhook.delivery"  # one event POSTed to one webhook, in order per booking
