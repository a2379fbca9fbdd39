"""Sign-up, sign-in, profile, team and the Settings pages."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from linktime import throttle
from linktime.accounts import looks, service, sessions
from linktime.accounts.forms import AddressForm, LoginForm, LooksForm, PasswordForm, ProfileForm, SignupForm
from linktime.extensions import db
from linktime.i18n import gettext as _
from linktime.integrations import integrations_page, privacy_facts
from linktime.privacy import invitee_data
from linktime.throttle import Limit, Throttled
from linktime.zones import is_timezone

bp = Blueprint("accounts", __name__)

LOGIN_PER_ACCOUNT = Limit("login-account", 10, 15 * 60)
LOGIN_PER_ADDRESS = Limit("login-address", 30, 15 * 60)
SIGNUP_PER_ADDRESS = Limit("signup-address", 10, 60 * 60)


def admin_required(view):
    """Only admins; everyone else gets 404 rather than learning the page exists."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _safe_next(target: str | None) -> str:
    """Only redirect back to a path on this site, never to another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("bookings.dashboard")


@bp.route("/")
def index():
    """Hosts to their bookings; a new install to its first account; anyone else to what LinkTime is."""
    if current_user.is_authenticated:
        return redirect(url_for("bookings.dashboard"))
    if not service.has_users():
        return redirect(url_for("accounts.signup"))
    return render_template("accounts/landing.html", signup_open=bool(current_app.config["ALLOW_SIGNUP"]))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create an account: the first one, then by invite or a link sent to the address."""
    if current_user.is_authenticated:
        return redirect(url_for("bookings.dashboard"))
    token, address_link = request.args.get("invite"), request.args.get("address")
    mode, invite, fixed_email = service.signup_mode(token, address_link)
    if mode == "closed":
        bad_link = bool(token or address_link)
        return render_template("accounts/signup_closed.html", bad_invite=bad_link), 404 if bad_link else 403
    if mode == "ask":
        return ask_for_address()
    form = SignupForm()
    if fixed_email:
        form.email.data = fixed_email
    if request.method == "GET" and is_timezone(request.args.get("tz")):
        form.timezone.data = request.args["tz"]
    if form.validate_on_submit():
        try:
            throttle.hit(SIGNUP_PER_ADDRESS, throttle.client_address())
            user = service.register(
                name=form.name.data,
                email=form.email.data,
                username=form.username.data,
                timezone=form.timezone.data,
                password=form.password.data,
                invite_token=token,
                address_link=address_link,
            )
        except Throttled as exc:
            form.form_errors.append(exc.message())
        except service.AccountTaken as exc:
            getattr(form, exc.field).errors.append(str(exc))
        except service.SignupClosed:
            return render_template("accounts/signup_closed.html", bad_invite=True), 409
        else:
            sessions.sign_in(user)
            flash(_("Welcome to LinkTime, %(name)s! Create your first event type.", name=user.name), "success")
            return redirect(url_for("event_types.create"))
    status = 429 if form.form_errors else 422 if form.errors else 200
    return render_template("accounts/signup.html", form=form, first=mode == "first", invite=invite,
                           email_fixed=bool(fixed_email)), status


def ask_for_address():
    """Open sign-up, step one: the address gets a link; the page says the same whoever owns it."""
    form = AddressForm()
    sent, status = None, 200
    if form.validate_on_submit():
        try:
            throttle.hit(SIGNUP_PER_ADDRESS, throttle.client_address())
        except Throttled as exc:
            form.email.errors.append(exc.message(_("Too many requests.")))
            status = 429
        else:
            service.request_signup_link(form.email.data)
            sent = form.email.data.strip().lower()
    elif form.errors:
        status = 422
    return render_template("accounts/signup_address.html", form=form, sent=sent), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("bookings.dashboard"))
    if not service.has_users():
        return redirect(url_for("accounts.signup"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            # Every attempt counts, right or wrong: a guesser gets 10 tries per account per 15 minutes.
            throttle.hit(LOGIN_PER_ADDRESS, throttle.client_address())
            throttle.hit(LOGIN_PER_ACCOUNT, form.email.data.strip().lower())
        except Throttled as exc:
            error, status = exc.message(), 429
        else:
            user = service.authenticate(form.email.data, form.password.data)
            if user is None:
                error, status = "That email and password do not match an account.", 422
            else:
                sessions.sign_in(user, remember=form.remember.data)
                return redirect(_safe_next(request.args.get("next")))
    if form.errors:
        status = 422
    return render_template("accounts/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Sign out this browser (a copy of its cookies stops working too)."""
    if current_user.is_authenticated:
        sessions.sign_out(current_user)
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.post("/settings/sessions/end")
@login_required
def sign_out_everywhere():
    """End every session of this account, on every device, this one included."""
    sessions.end_all_sessions(current_user)
    logout_user()
    flash(_("You are signed out on every device. Sign in again here."), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/settings")
@login_required
def settings():
    """Settings open on the profile, its first section."""
    return redirect(url_for("accounts.profile"))


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Edit name, email, username and time zone."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            confirming = service.update_profile(
                current_user,
                name=form.name.data,
                email=form.email.data,
                username=form.username.data,
                timezone=form.timezone.data,
                language=form.language.data or "",
            )
        except service.AccountTaken as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            if confirming:
                flash(_("Profile saved. We sent a link to %(email)s: your email changes when you open it.",
                        email=form.email.data.strip().lower()), "success")
            else:
                flash(_("Profile saved."), "success")
            return redirect(url_for("accounts.profile"))
    return profile_page(form=form)


def profile_page(*, form: ProfileForm | None = None, looks_form: LooksForm | None = None,
                 password_form: PasswordForm | None = None):
    """The profile page with its forms; 422 when the one that was sent has mistakes."""
    form = form or ProfileForm(formdata=None, obj=current_user)
    looks_form = looks_form or LooksForm(formdata=None, brand_color=current_user.brand_color or looks.LINKTIME_COLOR)
    password_form = password_form or PasswordForm(formdata=None)
    status = 422 if form.errors or looks_form.errors or password_form.errors else 200
    return render_template("accounts/profile.html", form=form, looks_form=looks_form,
                           password_form=password_form), status


@bp.post("/settings/appearance")
@login_required
def appearance():
    """Save the booking pages' colour and photo."""
    form = LooksForm()  # up to 8 MB: see UPLOAD_LIMITS
    if form.validate_on_submit():
        upload = form.photo.data
        try:
            photo = looks.prepare_photo(upload.read()) if upload and upload.filename else None
        except looks.PhotoRefused as exc:
            form.photo.errors = [str(exc)]
        else:
            chosen = (form.brand_color.data or "").lower()
            color = None if form.own_colors.data or chosen == looks.LINKTIME_COLOR else chosen
            looks.save_looks(current_user, color=color, photo=photo, remove_photo=bool(form.remove_photo.data))
            flash(_("Your booking pages’ look is saved."), "success")
            return redirect(url_for("accounts.profile") + "#looks", code=303)
    return profile_page(looks_form=form)


@bp.get("/privacy")
def privacy():
    """Say what LinkTime reads, stores and never touches, for hosts and invitees alike."""
    return render_template("accounts/privacy.html", integrations=privacy_facts(), invitee_data=invitee_data())


@bp.get("/photos/<digest>.webp")
def photo(digest: str):
    """A host's photo; its address changes with it, so it is kept for a year."""
    data = looks.photo_by_digest(digest)
    if data is None:
        abort(404)
    return data, 200, {"Content-Type": "image/webp", "Cache-Control": "public, max-age=31536000, immutable"}


@bp.get("/brand/<color>.css")
def brand_css(color: str):
    """The stylesheet of a brand colour (#rrggbb without the #)."""
    if not looks.COLOR.match("#" + color):
        abort(404)
    return looks.brand_stylesheet("#" + color), 200, {
        "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=31536000, immutable"}


@bp.get("/settings/email/confirm")
@login_required
def confirm_email():
    """Move the account to the address that received this link."""
    if service.confirm_email_change(current_user, request.args.get("token")):
        flash(_("Your email is now %(email)s.", email=current_user.email), "success")
    else:
        flash(_("This link is not valid any more (it expired, was used, or the address is not available). "
              "Change your email again to get a new one."), "error")
    return redirect(url_for("accounts.profile"))


@bp.post("/settings/password")
@login_required
def change_password():
    """Change the password after checking the current one; other sessions end."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("That is not your current password.")
        else:
            current_user.set_password(form.password.data)
            db.session.commit()
            sessions.renew_after_password_change(current_user)
            flash(_("Password changed. Every other device was signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return profile_page(password_form=form)


@bp.get("/settings/integrations")
@login_required
def integrations():
    """List integrations by category, with each one's status and the recent activity."""
    return integrations_page()


@bp.get("/team")
@admin_required
def team():
    """Show team members and open invites."""
    members, invites = service.team()
    return render_template("accounts/team.html", members=members, invites=invites,
                           invite_form=AddressForm(formdata=None))


@bp.post("/team/invites")
@admin_required
def create_invite():
    """Email a single-use sign-up link to a new team member."""
    form = AddressForm()
    if form.validate_on_submit():
        try:
            invite = service.create_invite(current_user, form.email.data)
        except service.AccountTaken as exc:
            form.email.errors.append(str(exc))
        else:
            flash(_("Invite sent to %(email)s. The link works once, for 7 days.", email=invite.email), "success")
            return redirect(url_for("accounts.team"))
    members, invites = service.team()
    return render_template("accounts/team.html", members=members, invites=invites, invite_form=form), 422


@bp.post("/team/invites/<id:invite_id>/revoke")
@admin_required
def revoke_invite(invite_id: int):
    """Make an open invite link stop working."""
    if service.revoke_invite(current_user, invite_id):
        flash(_("Invite revoked: its link no longer works."), "success")
    else:
        flash(_("That invite was already used or revoked."), "info")
    return redirect(url_for("accounts.team"), code=303)
