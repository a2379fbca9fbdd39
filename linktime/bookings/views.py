"""Public booking pages: the host's page, an event type's calendar, the booking form, and the
invitee's manage page (cancel, reschedule, invitations). The host's own booking pages are in
host_views.py; what a page knows of its visitor, in visitor.py."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user
from htmx_flask import request  # flask.request, typed with its .htmx
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from wtforms import SelectChoice

from linktime import throttle
from linktime.accounts.service import former_owner
from linktime.bookings import availability, page_cache, series, service
from linktime.bookings.forms import (
    BookingForm,
    CancelForm,
    RescheduleForm,
    booking_form_class,
    checked_form_key,
    issue_form_key,
)
from linktime.bookings.visitor import (
    embedded,
    local_day,
    parse_day,
    parse_month,
    parse_start,
    remember_choices,
    viewer_zone,
    zone_known,
)
from linktime.calendars.busy import CalendarsUnreadable, stale_since
from linktime.event_types.questions import answers_from, questions_of
from linktime.extensions import csrf, db
from linktime.formatting import first_weekday, format_time, format_when, present, reader_locale, viewer_hours
from linktime.i18n import gettext, language_of, lazy_gettext, ngettext
from linktime.models import Booking, EventType, User
from linktime.notifications import ics, sms
from linktime.throttle import Limit, Throttled
from linktime.zones import zone_choices

bp = Blueprint("bookings", __name__)  # the host's booking pages join it in host_views.py

CHOOSE_ANOTHER = lazy_gettext("Choose one of the free times below.")
GONE = lazy_gettext("That time is no longer available. Please pick another one.")
UNAVAILABLE = lazy_gettext("That time is not available. Please pick one of the times shown.")
CLOSED = lazy_gettext("This booking has been cancelled or is already over, so it can no longer be changed.")


def follow_rename(username: str) -> NoReturn:
    """A host's former username leads to the same page under their current one (links keep working)."""
    owner = former_owner(username.lower())
    if owner is None:
        abort(404)
    rest = request.full_path.split("/", 2)[2] if request.path.count("/") > 1 else ""
    target = f"/{owner.username}/{rest}" if rest else f"/{owner.username}"
    abort(redirect(target.rstrip("?"), code=308))


def get_host(username: str) -> User:
    host = db.session.scalar(select(User).where(User.username == username.lower()))
    if host is None:
        follow_rename(username)
    return host


def get_public_event_type(username: str, slug: str) -> EventType:
    """An active event type by its public URL; anything else is a 404."""
    event_type = db.session.scalar(
        select(EventType)
        .join(User, EventType.host_id == User.id)
        .options(contains_eager(EventType.host))  # one query: the cached calendar's key needs the host
        .where(User.username == username.lower(), EventType.slug == slug.lower(), EventType.team_id.is_(None))
    )
    if event_type is None:
        if db.session.scalar(select(User.id).where(User.username == username.lower())) is None:
            follow_rename(username)
        abort(404)
    if not event_type.active:
        abort(404)
    return event_type


def get_managed_booking(token: str) -> Booking:
    booking = service.find_by_token(token)
    if booking is None:
        abort(404)
    # Its pages speak the language the invitee booked in, unless they choose another.
    g.page_language = language_of(booking.invitee_locale) or (booking.event_type.language if booking.event_type
                                                              else None)
    return booking


def render_event_page(event_type: EventType, *, error: str | None = None, status: int = 200,
                      rescheduling: Booking | None = None, day: date | None = None, on_behalf: bool = False):
    """The booking page: calendar of the month and the chosen day's times."""
    page = whole_event_page(event_type, error=error, rescheduling=rescheduling, day=day, on_behalf=on_behalf)
    return page.html, status


def whole_event_page(event_type: EventType, *, error: str | None = None, rescheduling: Booking | None = None,
                     day: date | None = None, on_behalf: bool = False) -> page_cache.Rendered:
    """The booking page (or, for htmx, its calendar alone), and until when it holds.

    The calendar is rendered once and kept (see page_cache) until availability can change, and a
    message ("no longer available") is shown above it, so the loser of a race for a time is answered
    from the cache; calendars for a reschedule are rendered for their one request. ``on_behalf``:
    the host moves the booking for the invitee, from their own pages.
    """
    zone = viewer_zone(event_type.host.timezone if on_behalf or not rescheduling else rescheduling.invitee_timezone)
    month_asked = parse_month(request.args.get("month"))
    day_asked = day or parse_day(request.args.get("date"))

    def render() -> page_cache.Rendered:
        chosen = day_asked
        month = availability.month_view(
            event_type, zone, (chosen.replace(day=1) if chosen else month_asked),
            exclude=rescheduling.id if rescheduling else None,
            hosts=rescheduling.hosts if rescheduling and event_type.is_team else None, first_weekday=first_weekday(),
        )
        if chosen is None or chosen.replace(day=1) != month.first:
            chosen = next(iter(sorted(month.slots_by_day)), None) if not month_asked else None
        html = render_template(
            "bookings/_scheduler.html", event_type=event_type, host=event_type.host, zone=zone, month=month,
            day=chosen, slots=month.slots_by_day.get(chosen, []) if chosen else [], rescheduling=rescheduling,
            on_behalf=on_behalf, stale=stale_since() is not None,
        )
        starts = [slot.start for slots in month.slots_by_day.values() for slot in slots]
        return page_cache.Rendered(html, page_cache.valid_until(event_type, zone, starts, month.end))

    if rescheduling:
        calendar = render()
    else:
        key = page_cache.calendar_key(event_type, zone, viewer_hours(), reader_locale(), embedded(), month_asked,
                                      day_asked)
        calendar = page_cache.page_cache().get_or_render(key, render)
    if request.htmx and not request.htmx.boosted:
        if error:
            message = render_template("bookings/_error.html", error=error)
            return page_cache.Rendered(message + calendar.html, calendar.valid_until)
        return calendar
    html = render_template("bookings/event.html", event_type=event_type, host=event_type.host, zone=zone,
                           rescheduling=rescheduling, error=error, scheduler=Markup(calendar.html),
                           zone_known=zone_known() or on_behalf, on_behalf=on_behalf)
    return page_cache.Rendered(html, calendar.valid_until)


def seen_alike_by_everyone() -> bool:
    """Whether this visit gets the bytes every visitor gets: signed out, no message waiting for them."""
    return not current_user.is_authenticated and "_flashes" not in session


@bp.get("/zones")
def zone_search():
    """List the time zones matching what a visitor typed (the zone picker's suggestions)."""
    zones = zone_choices(request.args.get("q", "")[:60], locale=reader_locale())
    response = make_response(render_template("_zone_choices.html", zones=zones))
    response.cache_control.public = True
    response.cache_control.max_age = 300  # offsets move twice a year; five minutes late is harmless
    response.vary.update(("Accept-Language", "Cookie"))  # names in the visitor's language
    return response


@bp.get("/<username>")
def host_page(username: str):
    """List a host's active event types."""
    host = get_host(username)
    event_types = [event_type for event_type in host.event_types if event_type.active and not event_type.is_team]
    return render_template("bookings/host.html", host=host, event_types=event_types)


@bp.get("/<username>/<slug>")
def event_page(username: str, slug: str):
    """Show free times of an event type in the invitee's time zone."""
    return show_event_page(lambda: get_public_event_type(username, slug),
                           lambda: page_cache.public_stamp(username, slug))


def show_event_page(load: Callable[[], EventType], stamp_of: Callable[[], tuple | None]):
    """An event type's booking page (a host's or a team's), or its calendar for a reschedule.

    A visitor shown what everyone is shown gets the page kept under its ``stamp`` (one light
    query, see page_cache), with nothing loaded or rendered while it holds."""
    if "reschedule" not in request.args and seen_alike_by_everyone():
        stamp = stamp_of()
        if stamp is not None:
            g.page_language = stamp[-1]  # the event type's language, last in every stamp
            asked = (viewer_zone(stamp[2]), zone_known(), viewer_hours(), reader_locale(), embedded(),
                     parse_month(present(request.args, "month")), parse_day(present(request.args, "date")),
                     bool(request.htmx and not request.htmx.boosted))
            rendered = page_cache.page_cache().get_or_render(("whole", *stamp, *asked),
                                                             lambda: whole_event_page(load()))
            return remember_choices(make_response(rendered.html))
    event_type = load()
    g.page_language = event_type.language
    rescheduling = None
    if request.args.get("reschedule"):
        rescheduling = get_managed_booking(request.args["reschedule"])
        if rescheduling.event_type_id != event_type.id:
            abort(404)
    return remember_choices(make_response(render_event_page(event_type, rescheduling=rescheduling)))


@bp.route("/<username>/<slug>/book", methods=["GET", "POST"])
@csrf.exempt  # checked in book_page, except inside another site's frame
def book(username: str, slug: str):
    """Ask for the invitee's details and book the chosen time."""
    protect_booking_form()
    return book_page(get_public_event_type(username, slug))


def protect_booking_form() -> None:
    """CSRF for a booking form. In another site's frame the browser sends no cookie, so there is no
    session to bind a CSRF token or form key to; the form acts with nobody's authority, and the
    throttles still apply."""
    if request.method == "POST" and not embedded() and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()


def book_page(event_type: EventType):
    """The booking form of one time of an event type (a host's or a team's), and its booking."""
    g.page_language = event_type.language
    form = _booking_form(event_type)
    start = parse_start(form.start.data if request.method == "POST" else request.args.get("start"))
    zone = viewer_zone(event_type.host.timezone)
    taken = parse_start(form.taken.data) if request.method == "POST" else None
    if start is None and taken is not None:  # someone who lost a time sent the form without choosing another
        form.start.errors = []
        page = BookPage(form, event_type, taken, zone, _channels(event_type, form))
        try:  # an attempt like any other: the alternatives it shows are two weeks of reading
            limit_booking_attempts(event_type.host_id)
        except Throttled as exc:
            return page.render(exc.message(gettext("Too many booking attempts.")), 429)
        return page.render_taken(CHOOSE_ANOTHER)
    if start is None:
        return render_event_page(event_type, error=UNAVAILABLE, status=400)
    if request.method == "GET" and request.htmx and "sessions" in request.args:  # the series' dates, as chosen
        return _series_preview(event_type, start, zone, request.args.get("sessions", type=int) or 1)
    page = BookPage(form, event_type, start, zone, _channels(event_type, form))
    if request.method == "GET":
        try:  # say so now, not after the invitee has filled in the form
            availability.check_offered(event_type, start)
        except (availability.SlotTaken, availability.SlotUnavailable) as exc:
            return refused(event_type, exc, start, zone)
        form.start.data, form.tz.data = start.isoformat(), zone
        form.key.data = "" if embedded() else issue_form_key()
        return page.render()
    if not form.validate_on_submit():
        return page.render(status=422 if form.errors else 200)
    return _book(page)


def _channels(event_type: EventType, form: BookingForm) -> list[str]:
    """The ways a text reminder can go for this event type, offered on the form."""
    channels = sms.channels() if event_type.sms_reminders else []
    form.channel.choices = [c for c in form.channel.choices if c.value in channels] or form.channel.choices
    return channels


def _booking_form(event_type: EventType) -> BookingForm:
    form_class = booking_form_class(event_type)
    form = form_class(meta={"csrf": False}) if embedded() else form_class()
    form.sms_regions = event_type.sms_regions
    if series.offered(event_type):
        form.sessions.choices = form.sessions.choices[:1] + [
            SelectChoice(n, series.count_label(event_type, n)) for n in range(2, event_type.repeat_max + 1)]
    return form


def _book(page: BookPage):
    """Book what the filled-in form asks for (one time, or a series), or say why not."""
    form, event_type, start, zone = page.form, page.event_type, page.start, page.zone
    try:
        limit_booking_attempts(event_type.host_id)
    except Throttled as exc:
        return page.render(exc.message(gettext("Too many booking attempts.")), 429)
    texting = bool(page.channels and form.phone.data)
    invitee = service.Invitee(
        name=form.name.data, email=form.email.data, timezone=zone, notes=form.notes.data or "",
        phone=form.phone.data if texting else "", channel=form.channel.data if texting else "",
        answers=tuple(answers_from(form, questions_of(event_type.questions))), guests=tuple(form.guest_list),
        locale=reader_locale(), hours=viewer_hours(),
    )
    key = checked_form_key(form.key.data)
    try:
        if form.sessions.data > 1:
            booking = series.book_series(event_type, start, form.sessions.data, invitee, key=key,
                                         all_or_nothing=bool(form.all_or_nothing.data))[0]
        else:
            booking = service.book_slot(event_type, start, invitee, key=key)
    except series.SeriesUnavailable as exc:
        missing = ", ".join(format_when(moment, zone) for moment in exc.missing)
        return page.render(gettext("Not every session is free (%(missing)s). Choose fewer sessions, or untick "
                                   "“Only book if every session is free” to book the free ones.", missing=missing), 409)
    except availability.SlotTaken:  # the details stay in the form, beside the times still free
        return page.render_taken(gettext("%(time)s was taken a moment before you. Your details are kept: choose "
                                         "another time below.", time=format_time(start, zone)))
    except availability.SlotUnavailable as exc:
        return refused(event_type, exc, start, zone)
    except CalendarsUnreadable as exc:  # nothing is lost: the form comes back as it was filled in
        return page.render(str(exc), 503)
    except service.BookingLimit as exc:
        return page.render(str(exc), 429)
    return redirect(url_for("bookings.manage", token=booking.manage_token, booked=1,
                            embed=1 if embedded() else None), code=303)


def refused(event_type: EventType, error: Exception, start: datetime, zone: str, *, taken: str = GONE,
            **page: Any):
    """The booking page again, on the chosen day, saying why that time could not be had: taken
    meanwhile (409), not offered (422), or the host's calendar could not be checked (503). The one
    answer of booking, rescheduling and the host's move alike."""
    if isinstance(error, availability.SlotTaken):
        message, status = taken, 409
    elif isinstance(error, CalendarsUnreadable):
        message, status = str(error), 503
    else:
        message, status = UNAVAILABLE, 422
    return render_event_page(event_type, error=message, status=status, day=local_day(start, zone), **page)


def limit_booking_attempts(host_id: int) -> None:
    """Throttle booking POSTs per client address and per host (across processes); Throttled if over."""
    config = current_app.config
    throttle.hit(Limit("book-address", int(config["BOOKINGS_PER_ADDRESS_PER_HOUR"]), 3600),
                 throttle.client_address())
    throttle.hit(Limit("book-host", int(config["BOOKINGS_PER_HOST_PER_HOUR"]), 3600), str(host_id))


def limit_changes(booking: Booking) -> None:
    """Throttle reschedules and cancels through a private link, per booking and per client
    address (across processes); Throttled if over."""
    config = current_app.config
    throttle.hit(Limit("change-booking", int(config["CHANGES_PER_BOOKING_PER_HOUR"]), 3600), booking.uid)
    throttle.hit(Limit("change-address", int(config["CHANGES_PER_ADDRESS_PER_HOUR"]), 3600),
                 throttle.client_address())


@dataclass(frozen=True)
class BookPage:
    """The booking form for one time, as the invitee sees it."""

    form: BookingForm
    event_type: EventType
    start: datetime
    zone: str
    channels: list[str]

    def render(self, error: str | None = None, status: int = 200, *, alternatives: list[datetime] | None = None):
        event_type, start = self.event_type, self.start
        return render_template(
            "bookings/book.html", form=self.form, event_type=event_type, host=event_type.host, start=start,
            zone=self.zone, texting=bool(self.channels), error=error, alternatives=alternatives,
            sessions=[] if alternatives is not None else _sessions(event_type, start, self.form.sessions.data or 1),
        ), status

    def render_taken(self, message: str):
        """The form as filled in, the lost time crossed out, and the free times beside it (409)."""
        self.form.taken.data = self.start.isoformat()
        return self.render(message, 409, alternatives=availability.times_after_taken(self.event_type, self.start,
                                                                                     self.zone))


def _sessions(event_type: EventType, start: datetime, count: int) -> list[series.Session]:
    if count <= 1 or not series.offered(event_type) or count > event_type.repeat_max:
        return []
    return series.plan(event_type, start, count)


def _series_preview(event_type: EventType, start: datetime, zone: str, count: int):
    """Which sessions of the series the invitee is choosing are free (the booking decides)."""
    return render_template("bookings/_series_preview.html", sessions=_sessions(event_type, start, count), zone=zone)


@bp.get("/booking/<token>")
def manage(token: str):
    """The invitee's page for a booking: what, when, where; cancel or reschedule."""
    booking = get_managed_booking(token)
    zone = viewer_zone(booking.invitee_timezone)
    return render_template(
        "bookings/manage.html", booking=booking, zone=zone, just_booked=request.args.get("booked") == "1",
        sessions=booking.series_sessions() if booking.series_id else [],
        google_url=ics.google_calendar_url(booking), outlook_url=ics.outlook_calendar_url(booking),
    )


def cancel_page(booking: Booking, *, by: str, zone: str, action: str, done: str, message: str):
    """Ask for an optional reason, then cancel; the same page for invitee and host."""
    form = CancelForm()
    later = [b for b in booking.series_sessions() if b.start > booking.start and b.is_changeable]
    if form.validate_on_submit():
        try:
            if by == "invitee":
                limit_changes(booking)
            if form.rest.data and later:
                gone = service.cancel_rest(booking, by=by, reason=form.reason.data or "")
                later_count = len(gone) - 1
                message += " " + ngettext("So is the later session of the series.",
                                          "So are the %(num)d later sessions of the series.", later_count)
            else:
                service.cancel_booking(booking, by=by, reason=form.reason.data or "")
        except service.BookingClosed:
            flash(str(CLOSED), "error")
        except Throttled as exc:
            return render_template("bookings/cancel.html", booking=booking, form=form, zone=zone, action=action,
                                   later=later, error=exc.message(gettext("Too many changes to this booking."))), 429
        else:
            flash(message, "success")
        return redirect(done, code=303)
    status = 422 if form.errors else 200
    return render_template("bookings/cancel.html", booking=booking, form=form, zone=zone, action=action,
                           later=later), status


@bp.get("/booking/<token>/invite.ics")
def invite(token: str):
    """The booking as a calendar file (Add to calendar)."""
    booking = get_managed_booking(token)
    body = ics.invite(booking, cancel=booking.is_cancelled, method="PUBLISH")
    return body, 200, {"Content-Type": "text/calendar; charset=utf-8",
                       "Content-Disposition": 'attachment; filename="invite.ics"'}


@bp.get("/booking/<token>/series.ics")
def series_invite(token: str):
    """Every session of the booking's series as one calendar file."""
    booking = get_managed_booking(token)
    sessions = [session for session in booking.series_sessions() if not session.is_cancelled] or [booking]
    return ics.series_file(sessions), 200, {"Content-Type": "text/calendar; charset=utf-8",
                                            "Content-Disposition": 'attachment; filename="series.ics"'}


@bp.route("/booking/<token>/cancel", methods=["GET", "POST"])
def invitee_cancel(token: str):
    """Let the invitee cancel through their private link."""
    booking = get_managed_booking(token)
    return cancel_page(
        booking, by="invitee", zone=booking.invitee_timezone,
        action=url_for("bookings.invitee_cancel", token=token),
        done=url_for("bookings.manage", token=token),
        message=gettext("Your booking is cancelled."),
    )


@bp.route("/booking/<token>/reschedule", methods=["GET", "POST"])
def reschedule(token: str):
    """Confirm and apply a new time chosen on the booking page."""
    booking = get_managed_booking(token)
    event_type = booking.event_type
    if booking.is_cancelled or event_type is None or not event_type.active:
        flash(
            str(CLOSED) if booking.is_cancelled else gettext("This event type no longer takes bookings; you can cancel "
                                                        "instead."),
            "error",
        )
        return redirect(url_for("bookings.manage", token=token))
    form = RescheduleForm()
    start = parse_start(form.start.data if request.method == "POST" else request.args.get("start"))
    zone = viewer_zone(booking.invitee_timezone)
    if start is None:
        return render_event_page(event_type, error=UNAVAILABLE, status=400, rescheduling=booking)
    if form.validate_on_submit():
        try:
            limit_changes(booking)
            service.reschedule_booking(booking, start, reason=form.reason.data or "")
        except (availability.SlotTaken, availability.SlotUnavailable, CalendarsUnreadable) as exc:
            return refused(event_type, exc, start, zone, rescheduling=booking)
        except service.BookingClosed:
            flash(str(CLOSED), "error")
            return redirect(url_for("bookings.manage", token=token), code=303)
        except Throttled as exc:
            return render_template("bookings/reschedule.html", booking=booking, form=form, start=start, zone=zone,
                                   error=exc.message(gettext("Too many changes to this booking."))), 429
        flash(gettext("Rescheduled to %(when)s.", when=format_when(booking.start, zone)), "success")
        return redirect(url_for("bookings.manage", token=token), code=303)
    form.start.data, form.tz.data = start.isoformat(), zone
    return render_template("bookings/reschedule.html", booking=booking, form=form, start=start, zone=zone)
