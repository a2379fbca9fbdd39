"""Account emails: invites, open sign-up links, email-change confirmations, a webhook turned off.

Each job names what it is about (an invite, an address, a user) and the link is made when the
message is sent, so no working link is ever stored in the job table.
"""
from __future__ import annotations

from linktime.accounts.service import address_token, email_in_use
from linktime.extensions import db
from linktime.formatting import clock_of_reader, format_day
from linktime.i18n import gettext as _
from linktime.jobs.outbox import Retry
from linktime.models import Invite, User, Webhook
from linktime.notifications.email import MailError, build, deliver
from linktime.urls import public_url


def _send(to: str, subject: str, paragraphs: list[str], action: tuple[str, str] | None) -> None:
    message = build(to, subject, "account", paragraphs=paragraphs,
                    action_label=action[0] if action else None, action_url=action[1] if action else None)
    try:
        deliver(message)
    except MailError as exc:
        raise Retry(str(exc)) from None


def send_account_email(kind: str, invite_id: int | None = None, email: str | None = None,
                       user_id: int | None = None, language: str = "", webhook_id: int | None = None) -> None:
    """Each message in its reader's language: an invite in the inviter's, a sign-up link in the one
    the page was read in (``language``), an address change in the account's."""
    if kind == "invite":
        invite = db.session.get(Invite, invite_id)
        if invite is None or not invite.usable or not invite.email:
            return  # revoked or used before the message went out
        inviter = invite.created_by.name
        with clock_of_reader(24, invite.created_by.language or None):
            _send(invite.email, _("%(name)s invited you to LinkTime", name=inviter),
                  [_("%(name)s invited you to join their team on LinkTime, where you can publish your availability "
                     "and let people book time with you.", name=inviter),
                   _("The link works once and until %(day)s (UTC).", day=format_day(invite.expires_at.date()))],
                  (_("Create your account"), invite.url))
    elif kind == "signup" and email:
        with clock_of_reader(24, language or None):
            if email_in_use(email):
                _send(email, _("You already have a LinkTime account"),
                      [_("Someone (probably you) asked to create a LinkTime account for this address. It already has "
                         "one, so nothing was created."),
                       _("Sign in with it instead; if that was not you, you can ignore this message.")],
                      (_("Sign in"), public_url("accounts.login")))
            else:
                _send(email, _("Finish creating your LinkTime account"),
                      [_("Open this link within 24 hours to choose your username and password."),
                       _("If you did not ask for an account, ignore this message: nothing is created without it.")],
                      (_("Create your account"),
                       public_url("accounts.signup", address=address_token("signup", email=email))))
    elif kind == "email_change" and email:
        user = db.session.get(User, user_id)
        if user is None:
            return
        token = address_token("email-change", user=user.id, email=email, version=user.session_version)
        with clock_of_reader(24, user.language or None):
            _send(email, _("Confirm your new LinkTime email address"),
                  [_("%(name)s asked to use this address for their LinkTime account.", name=user.name),
                   _("Open this link within 24 hours, signed in, to confirm. If it was not you, ignore this message.")],
                  (_("Confirm this address"), public_url("accounts.confirm_email", token=token)))
    elif kind == "webhook_disabled":
        user, hook = db.session.get(User, user_id), db.session.get(Webhook, webhook_id)
        if user is None or hook is None or hook.enabled:
            return  # deleted, or turned on again before the message went out
        with clock_of_reader(24, user.language or None):
            _send(user.email, _("Your LinkTime webhook was turned off"),
                  [_("LinkTime turned off the webhook to %(url)s: %(reason)s.", url=hook.url,
                     reason=hook.disabled_reason),
                   _("Once the receiver answers again, turn the webhook on in Settings → Webhooks. The events it "
                     "missed are in its log, each with “Send again”.")],
                  (_("Open Settings → Webhooks"), public_url("webhooks.index")))
