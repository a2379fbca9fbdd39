"""Sign-up, sign-in, profile, team and the Settings pages."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from linktime.accounts import bp, service
from linktime.accounts.forms import LoginForm, PasswordForm, ProfileForm, SignupForm
from linktime.extensions import db
from linktime.formatting import is_timezone


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
    """Send people where they most likely want to go."""
    if current_user.is_authenticated:
        return redirect(url_for("bookings.dashboard"))
    if not service.has_users():
        return redirect(url_for("accounts.signup"))
    return redirect(url_for("accounts.login"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create an account: open for the first one, then by invite (or ALLOW_SIGNUP)."""
    if current_user.is_authenticated:
        return redirect(url_for("bookings.dashboard"))
    token = request.args.get("invite")
    invite = service.find_invite(token)
    if not service.signup_allowed(invite):
        status = 404 if token else 403
        return render_template("accounts/signup_closed.html", bad_invite=bool(token)), status
    first = not service.has_users()
    form = SignupForm()
    if request.method == "GET" and is_timezone(request.args.get("tz")):
        form.timezone.data = request.args["tz"]
    if form.validate_on_submit():
        try:
            user = service.register(
                name=form.name.data,
                email=form.email.data,
                username=form.username.data,
                timezone=form.timezone.data,
                password=form.password.data,
                invite_token=token,
            )
        except service.AccountTaken as exc:
            getattr(form, exc.field).errors.append(str(exc))
        except service.SignupClosed:
            return render_template("accounts/signup_closed.html", bad_invite=True), 403
        else:
            login_user(user)
            flash(f"Welcome to LinkTime, {user.name}! Create your first event type.", "success")
            return redirect(url_for("event_types.create"))
    status = 422 if form.errors else 200
    return render_template("accounts/signup.html", form=form, first=first, invite=invite), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("bookings.dashboard"))
    if not service.has_users():
        return redirect(url_for("accounts.signup"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is None:
            error = "That email and password do not match an account."
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    status = 422 if (form.errors or error) else 200
    return render_template("accounts/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Sign out."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Edit name, email, username and time zone."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            service.update_profile(
                current_user,
                name=form.name.data,
                email=form.email.data,
                username=form.username.data,
                timezone=form.timezone.data,
            )
        except service.AccountTaken as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            flash("Profile saved.", "success")
            return redirect(url_for("accounts.profile"))
    status = 422 if form.errors else 200
    return render_template(
        "accounts/profile.html", form=form, password_form=PasswordForm(formdata=None)
    ), status


@bp.post("/settings/password")
@login_required
def change_password():
    """Change the password after checking the current one."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("That is not your current password.")
        else:
            current_user.set_password(form.password.data)
            db.session.commit()
            flash("Password changed.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html", form=ProfileForm(obj=current_user, formdata=None), password_form=form
    ), 422


@bp.get("/settings/integrations")
@login_required
def integrations():
    """List integrations by category, with Zoom's status and the recent activity."""
    from linktime.audit import recent
    from linktime.conferencing.zoom.views import card_context

    return render_template(
        "accounts/integrations.html",
        zoom_personal=card_context(False),
        zoom_workspace=card_context(True) if current_user.is_admin else None,
        activity=recent(current_user.id),
    )


@bp.get("/team")
@admin_required
def team():
    """Show team members and open invites."""
    members, invites = service.team()
    return render_template("accounts/team.html", members=members, invites=invites)


@bp.post("/team/invites")
@admin_required
def create_invite():
    """Create a single-use sign-up link for a new team member."""
    service.create_invite(current_user)
    flash("Invite link created. Send it to your new team member; it works once, for 7 days.", "success")
    return redirect(url_for("accounts.team"))
