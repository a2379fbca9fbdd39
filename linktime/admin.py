"""Admin pages: the local mail outbox ("Sent mail") and background jobs that gave up."""
from __future__ import annotations

from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import cast

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import func, select

from linktime.accounts.views import admin_required
from linktime.extensions import db
from linktime.i18n import gettext as _
from linktime.jobs.outbox import retry_failed, retry_now
from linktime.models import Job, JobStatus, now_utc
from linktime.notifications.email import outbox_dir

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _sent(message) -> datetime | None:
    """When the message was written, from its Date header (None if it cannot be read)."""
    try:
        return message["Date"].datetime if message["Date"] is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def _read(path: Path) -> dict:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    calendars = [cast(bytes, part.get_payload(decode=True)).decode()
                 for part in message.walk() if part.get_content_type() == "text/calendar"]
    return {
        "name": path.name, "from": message["From"], "to": message["To"], "subject": message["Subject"],
        "date": message["Date"], "sent": _sent(message), "text": text.get_content() if text else "",
        "html": html.get_content() if html else "", "calendar": calendars[0] if calendars else "",
    }


@bp.get("/mail")
@admin_required
def mail():
    """List the messages written to instance/outbox/ (used when no SMTP server is configured)."""
    folder = outbox_dir()
    files = sorted(folder.glob("*.eml"), reverse=True)[:200] if folder.exists() else []
    return render_template("admin/mail.html", messages=[_read(f) for f in files],
                           smtp=current_app.config.get("MAIL_SERVER"))


def _outbox_file(name: str) -> Path:
    """A message file of the outbox by its name; anything else is a 404."""
    if len(name) > 200 or "/" in name or not name.endswith(".eml"):
        abort(404)
    path = outbox_dir() / name
    try:
        if not path.is_file():
            abort(404)
    except OSError:  # a name the file system refuses
        abort(404)
    return path


@bp.get("/mail/<name>")
@admin_required
def message(name: str):
    """Open one message of the outbox."""
    return render_template("admin/message.html", message=_read(_outbox_file(name)), name=name)


# A message's HTML as its recipient's mail program shows it: its own inline styles, nothing else
# (no script, no request anywhere), framed only by the message page.
MESSAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                  "form-action 'none'; frame-ancestors 'self'; sandbox")


@bp.get("/mail/<name>/html")
@admin_required
def message_html(name: str):
    html = _read(_outbox_file(name)).get("html") or ""
    return html, 200, {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": MESSAGE_POLICY,
                       "X-Frame-Options": "SAMEORIGIN"}


@bp.get("/jobs")
@admin_required
def jobs():
    """Background work that gave up after its last attempt, and what is still waiting."""
    failed = list(db.session.scalars(
        select(Job).where(Job.status == JobStatus.FAILED).order_by(Job.updated_at.desc()).limit(100)))
    pending = db.session.scalar(select(func.count(Job.id)).where(Job.status == JobStatus.PENDING))
    waiting = list(db.session.scalars(
        select(Job).where(Job.status == JobStatus.PENDING).order_by(Job.run_at, Job.id).limit(100)))
    return render_template("admin/jobs.html", failed=failed, pending=pending, waiting=waiting, now=now_utc())


@bp.post("/jobs/<id:job_id>/retry")
@admin_required
def retry(job_id: int):
    """Try a failed job again now, or a waiting one without waiting for its next try."""
    job = db.session.get(Job, job_id)
    if job is None or job.status not in (JobStatus.FAILED, JobStatus.PENDING):
        abort(404)
    if job.status == JobStatus.FAILED:
        retry_failed(job)
    else:
        retry_now(job)
    flash(_("The job will run again within a few seconds."), "success")
    return redirect(url_for("admin.jobs"), code=303)
