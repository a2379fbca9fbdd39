"""What runs in LinkTime, said in one place: the video conferencing providers (in the order the
pages list them: cards, privacy facts, the event-type form) and the function that runs each kind
of background job. ``create_app`` calls ``wire()``; calling it again changes nothing."""
from __future__ import annotations

from linktime.accounts.mail import send_account_email
from linktime.calendars import events
from linktime.conferencing import base, meeting_sync
from linktime.conferencing.google_meet.adapter import PROVIDER as GOOGLE_MEET
from linktime.conferencing.zoom.adapter import PROVIDER as ZOOM
from linktime.conferencing.zoom.service import tell_attention
from linktime.jobs.kinds import JobKind
from linktime.jobs.outbox import register_handler
from linktime.jobs.runner import around_batches
from linktime.notifications.booking_messages import send_booking_email
from linktime.notifications.email import one_connection_per_batch
from linktime.notifications.sms import send_reminder
from linktime.webhooks import delivery as webhook_delivery

CONFERENCING = (ZOOM, GOOGLE_MEET)


def wire() -> None:
    for provider in CONFERENCING:
        base.register(provider)
    # The host's and the invitee's copies of one notice read the booking once.
    register_handler(JobKind.BOOKING_EMAIL, send_booking_email, shares_reads_by="booking_id")
    register_handler(JobKind.ACCOUNT_EMAIL, send_account_email)
    register_handler(JobKind.ZOOM_ATTENTION_EMAIL, tell_attention)
    register_handler(JobKind.SMS_REMINDER, send_reminder)
    register_handler(JobKind.MEETING_SYNC, meeting_sync.sync_meeting, on_give_up=meeting_sync.on_sync_gave_up)
    register_handler(JobKind.CALENDAR_EVENT_SYNC, events.sync_event, on_give_up=events.on_sync_gave_up)
    register_handler(JobKind.WEBHOOK_DELIVERY, webhook_delivery.send_delivery, on_give_up=webhook_delivery.gave_up)
    # One SMTP connection for all the messages a runner sends together.
    around_batches(one_connection_per_batch)
