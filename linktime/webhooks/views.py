"""Settings → Webhooks: a host's webhooks (and, for admins, the whole team's), each with its
delivery log, "Send again", "Send a test event", a secret shown once and rotated on demand."""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import BooleanField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from linktime import audit
from linktime.extensions import db
from linktime.i18n import gettext as _
from linktime.i18n import lazy_gettext as _l
from linktime.jobs.runner import run_soon
from linktime.models import Webhook, WebhookDelivery, WebhookEvent
from linktime.webhooks import delivery as sending
from linktime.webhooks.events import test_event

bp = Blueprint("webhooks", __name__, url_prefix="/settings/webhooks")

EVENT_NAMES = {WebhookEvent.CREATED: _l("Booking created"), WebhookEvent.RESCHEDULED: _l("Booking rescheduled"),
               WebhookEvent.CANCELLED: _l("Booking cancelled"),
               WebhookEvent.LINK_READY: _l("Meeting link ready (made after the booking)")}
LOG_LENGTH = 50


@bp.app_template_filter("webhook_event")
def event_name(event: str) -> str:
    """An event as the settings pages name it ("Booking created")."""
    try:
        return str(EVENT_NAMES.get(WebhookEvent(event), event))
    except ValueError:  # an event LinkTime no longer sends
        return event


class EventList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookForm(FlaskForm):
    url = StringField(_l("Address (URL) that receives the events"), validators=[DataRequired(), Length(max=2000)],
                      description=_l("LinkTime POSTs JSON to it, signed with the webhook’s secret."))
    events = EventList(_l("Events"), choices=[SelectChoice(event.value, label) for event, label in EVENT_NAMES.items()],
                       default=[event.value for event in EVENT_NAMES])
    whole_team = BooleanField(_l("Every host’s bookings (the whole team), not only mine"))
    enabled = BooleanField(_l("Enabled"), default=True)

    def validate_url(self, field) -> None:
        field.data = (field.data or "").strip()
        try:
            sending.checked_address(field.data)
        except sending.SendError as exc:
            raise ValidationError(_("LinkTime cannot send to this address: %(problem)s.", problem=str(exc))) from None

    def validate_events(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Choose at least one event."))


def own_webhook(webhook_id: int) -> Webhook:
    """A webhook of the signed-in host, or a whole-team one for an admin; anything else is a 404."""
    hook = db.session.get(Webhook, webhook_id)
    if hook is None or not (hook.user_id == current_user.id or (hook.whole_team and current_user.is_admin)):
        abort(404)
    return hook


def visible_webhooks() -> list[Webhook]:
    mine = Webhook.user_id == current_user.id
    return list(db.session.scalars(
        select(Webhook).where(or_(mine, Webhook.whole_team.is_(True)) if current_user.is_admin else mine)
        .order_by(Webhook.id)))


def _form_page(form: WebhookForm, status: int = 200, **context):
    if not current_user.is_admin:
        del form.whole_team
    return render_template("webhooks/index.html", form=form, webhooks=visible_webhooks(), event_names=EVENT_NAMES,
                           **context), status


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    form = WebhookForm()
    if form.validate_on_submit():
        secret = new_secret()
        hook = Webhook(user_id=current_user.id, url=form.url.data, events=list(form.events.data),
                       whole_team=bool(current_user.is_admin and form.whole_team.data), enabled=True)
        hook.secret = secret
        db.session.add(hook)
        db.session.flush()
        audit.record(current_user.id, "webhook.created", f"Webhook to {hook.url} added.")
        db.session.commit()
        return _shown_once(hook, secret)
    return _form_page(form, 422 if form.errors else 200)


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _shown_once(hook: Webhook, secret: str):
    """The webhook's page with its new secret: the only time it is shown."""
    return render_template("webhooks/edit.html", hook=hook, form=_edit_form(hook), secret=secret,
                           deliveries=_log(hook), event_names=EVENT_NAMES)


def _edit_form(hook: Webhook, formdata=None) -> WebhookForm:
    form = WebhookForm(formdata=formdata, obj=None, data={"url": hook.url, "events": list(hook.events or []),
                                                           "whole_team": hook.whole_team, "enabled": hook.enabled})
    if not current_user.is_admin:
        del form.whole_team
    return form


def _log(hook: Webhook) -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
                                   .order_by(WebhookDelivery.id.desc()).limit(LOG_LENGTH)))


@bp.route("/<id:webhook_id>", methods=["GET", "POST"])
@login_required
def edit(webhook_id: int):
    hook = own_webhook(webhook_id)
    form = WebhookForm()
    if not current_user.is_admin:
        del form.whole_team
    if form.validate_on_submit():
        hook.url, hook.events = form.url.data, list(form.events.data)
        if current_user.is_admin:
            hook.whole_team = bool(form.whole_team.data)
        if form.enabled.data and not hook.enabled:  # on again: its failures start over
            hook.failing_since, hook.disabled_reason = None, ""
        hook.enabled = bool(form.enabled.data)
        db.session.commit()
        flash(_("Webhook saved."), "success")
        return redirect(url_for("webhooks.edit", webhook_id=hook.id), code=303)
    if not form.is_submitted():
        form = _edit_form(hook)
    return render_template("webhooks/edit.html", hook=hook, form=form, secret=None, deliveries=_log(hook),
                           event_names=EVENT_NAMES), 422 if form.errors else 200


def _post_form() -> FlaskForm:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    return form


@bp.post("/<id:webhook_id>/test")
@login_required
def send_test(webhook_id: int):
    hook = own_webhook(webhook_id)
    _post_form()
    return _sent(hook, test_event(hook, current_user),
                 _("A test event is on its way; its result appears in the log below."))


def _sent(hook: Webhook, job, said: str):
    """After an event was queued from the page: it goes out now; back to the webhook's log."""
    db.session.commit()
    run_soon([job])
    flash(said, "success")
    return redirect(url_for("webhooks.edit", webhook_id=hook.id), code=303)


@bp.post("/<id:webhook_id>/deliveries/<id:delivery_id>/again")
@login_required
def send_again(webhook_id: int, delivery_id: int):
    hook = own_webhook(webhook_id)
    _post_form()
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != hook.id:
        abort(404)
    if delivery.status == "pending":
        flash(_("That event is still being sent."), "info")
        return redirect(url_for("webhooks.edit", webhook_id=hook.id), code=303)
    return _sent(hook, sending.send_again(delivery), _("The event is sent again, with the same delivery id."))


@bp.post("/<id:webhook_id>/rotate")
@login_required
def rotate(webhook_id: int):
    hook = own_webhook(webhook_id)
    _post_form()
    secret = new_secret()
    hook.secret = secret
    audit.record(current_user.id, "webhook.rotated", f"Secret of the webhook to {hook.url} replaced.")
    db.session.commit()
    return _shown_once(hook, secret)


@bp.post("/<id:webhook_id>/delete")
@login_required
def delete(webhook_id: int):
    hook = own_webhook(webhook_id)
    _post_form()
    audit.record(current_user.id, "webhook.deleted", f"Webhook to {hook.url} deleted.")
    db.session.delete(hook)
    db.session.commit()
    flash(_("Webhook deleted: nothing more is sent to it."), "success")
    return redirect(url_for("webhooks.index"), code=303)
