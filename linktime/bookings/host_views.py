"""The host's side of bookings: the dashboard, one booking's page, and what the host does to it."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from linktime import audit
from linktime.accounts.service import everyone
from linktime.bookings import availability, listing, service
from linktime.bookings.forms import RescheduleForm
from linktime.bookings.views import (
    CLOSED,
    bp,
    cancel_page,
    refused,
    render_event_page,
)
from linktime.bookings.visitor import parse_day, parse_start, viewer_zone
from linktime.calendars.busy import CalendarsUnreadable
from linktime.calendars.service import troubled_connections
from linktime.extensions import db
from linktime.formatting import at_night, format_when
from linktime.i18n import gettext as _
from linktime.models import Booking, MeetingStatus, now_utc


def get_host_booking(booking_id: int) -> Booking:
    """A booking the signed-in host hosts (or co-hosts), or, for an admin, any team booking; anyone
    else's is a 404."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not service.may_manage(current_user, booking):
        abort(404)
    return booking


@bp.get("/bookings")
@login_required
def dashboard():
    """The host's upcoming, past and cancelled bookings."""
    event_types = listing.dashboard_event_types(current_user)
    shown = asked_filter(event_types)
    bookings = listing.host_bookings(current_user, shown)
    return render_template("bookings/dashboard.html", bookings=bookings, tab=shown.tab, shown=shown,
                           troubled=troubled_connections(current_user), now=now_utc(),
                           event_types=event_types, members=everyone() if current_user.is_admin else [],
                           filters=filter_args(shown))


@bp.get("/bookings/export.csv")
@login_required
def export():
    """Download the bookings the dashboard shows (tab and filters) as a CSV file."""
    shown = asked_filter(listing.dashboard_event_types(current_user))
    response = make_response(listing.export_csv(current_user, shown))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="linktime-{shown.tab}-bookings.csv"'
    return response


def asked_filter(event_types: list) -> listing.BookingFilter:
    """The dashboard's tab and filters from the address; what does not make sense is left out."""
    tab = request.args.get("tab", "upcoming")
    chosen = request.args.get("event_type", type=int)

    def day(name: str):
        return parse_day(request.args.get(name))

    return listing.BookingFilter(
        tab=tab if tab in listing.TABS else "upcoming",
        member=request.args.get("member", "") if current_user.is_admin else "",
        event_type_id=chosen if chosen in {et.id for et in event_types} else None,
        search=request.args.get("q", "")[:100], first_day=day("from"), last_day=day("to"),
    )


def filter_args(shown: listing.BookingFilter) -> dict:
    """The filters as address arguments (for the tabs' links and the export)."""
    return {"member": shown.member or None, "event_type": shown.event_type_id, "q": shown.search or None,
            "from": shown.first_day.isoformat() if shown.first_day else None,
            "to": shown.last_day.isoformat() if shown.last_day else None}


@bp.route("/bookings/<id:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def host_cancel(booking_id: int):
    """Cancel one of the host's bookings, with an optional reason."""
    booking = get_host_booking(booking_id)
    zone = current_user.timezone
    return cancel_page(
        booking, by="host", zone=zone,
        action=url_for("bookings.host_cancel", booking_id=booking.id),
        done=url_for("bookings.host_booking", booking_id=booking.id),
        message=_("Cancelled %(name)s’s booking of %(when)s.", name=booking.invitee_name,
                  when=format_when(booking.start, zone)),
    )


@bp.post("/bookings/<id:booking_id>/meeting/retry")
@login_required
def retry_meeting(booking_id: int):
    """Try again to create the Zoom meeting of one of the host's bookings."""
    booking = get_host_booking(booking_id)
    meeting = service.retry_meeting(booking)
    label = booking.location_kind.label
    if meeting is not None and meeting.is_created:
        flash(_("The %(provider)s meeting was created; the invitee is sent the link.", provider=label), "success")
    elif meeting is not None and meeting.status == MeetingStatus.PENDING:
        flash(_("%(provider)s did not answer yet; LinkTime keeps trying in the background.", provider=label), "info")
    else:
        flash(meeting.last_error if meeting else _("This booking has no meeting to retry."), "error")
    return redirect((request.form.get("next") == "booking" and url_for("bookings.host_booking", booking_id=booking.id))
                    or url_for("bookings.dashboard"), code=303)


@bp.get("/bookings/<id:booking_id>")
@login_required
def host_booking(booking_id: int):
    """One booking: the invitee, what they wrote, its meeting and what happened to it."""
    booking = get_host_booking(booking_id)
    return render_template(
        "bookings/host_booking.html", booking=booking, zone=current_user.timezone,
        history=audit.booking_history(booking.id), now=now_utc(),
        sessions=booking.series_sessions() if booking.series_id else [],
        reassign_to=service.reassign_choices(booking),
    )


@bp.post("/bookings/<id:booking_id>/reassign")
@login_required
def host_reassign(booking_id: int):
    """Hand a round-robin booking to another of its hosts (its host, or an admin, does)."""
    booking = get_host_booking(booking_id)
    member_id = request.form.get("member", type=int) or 0
    try:
        booking = service.reassign_booking(booking, member_id, by=current_user)
    except service.CannotReassign as exc:
        flash(str(exc), "error")
    except (availability.SlotTaken, availability.SlotUnavailable):
        flash(_("They are not free at this booking's time (their hours, bookings, calendars or days off). "
              "Choose someone else, or reschedule the booking first."), "error")
    except CalendarsUnreadable as exc:
        flash(str(exc), "error")
    except service.BookingClosed:
        flash(str(CLOSED), "error")
    else:
        flash(_("Handed to %(host)s. %(name)s is told; the meeting and calendar events follow.",
                host=booking.host.name, name=booking.invitee_name), "success")
        if not service.may_manage(current_user, booking):
            return redirect(url_for("bookings.dashboard"), code=303)
    return redirect(url_for("bookings.host_booking", booking_id=booking_id), code=303)


@bp.route("/bookings/<id:booking_id>/reschedule", methods=["GET", "POST"])
@login_required
def host_reschedule(booking_id: int):
    """Move a booking for the invitee: pick a free time, confirm; the invitee is told."""
    booking = get_host_booking(booking_id)
    event_type = booking.event_type
    if not booking.is_changeable or event_type is None or not event_type.active:
        flash(str(CLOSED) if not booking.is_changeable else
              _("This event type no longer takes bookings, so the booking cannot be moved; you can cancel it."),
              "error")
        return redirect(url_for("bookings.host_booking", booking_id=booking.id))
    form = RescheduleForm()
    start = parse_start(form.start.data if request.method == "POST" else request.args.get("start"))
    zone = viewer_zone(current_user.timezone)
    if start is None:
        return render_event_page(event_type, rescheduling=booking, on_behalf=True,
                                 status=400 if "start" in request.args else 200)
    if form.validate_on_submit():
        try:
            service.reschedule_booking(booking, start, by="host", reason=form.reason.data or "")
        except (availability.SlotTaken, availability.SlotUnavailable, CalendarsUnreadable) as exc:
            return refused(event_type, exc, start, zone, rescheduling=booking, on_behalf=True)
        except service.BookingClosed:
            flash(str(CLOSED), "error")
            return redirect(url_for("bookings.host_booking", booking_id=booking.id), code=303)
        flash(_("Moved to %(when)s. %(name)s is sent the new time.", when=format_when(booking.start, zone),
                name=booking.invitee_name), "success")
        return redirect(url_for("bookings.host_booking", booking_id=booking.id), code=303)
    form.start.data, form.tz.data = start.isoformat(), zone
    return render_template("bookings/reschedule.html", booking=booking, form=form, start=start, zone=zone,
                           night=at_night(start, booking.invitee_timezone),
                           action=url_for("bookings.host_reschedule", booking_id=booking.id),
                           back=url_for("bookings.host_reschedule", booking_id=booking.id, tz=zone))
