"""flask commands: `flask --app wsgi create-user …`."""
from __future__ import annotations

import click
from flask import Flask

from linktime.formatting import is_timezone


def register_cli(app: Flask) -> None:
    @app.cli.command("run-jobs")
    @click.option("--once", is_flag=True, help="Run the due jobs once and exit.")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
    def run_jobs(once, interval):
        """Run the background job dispatcher (for web workers with SCHEDULER_ENABLED=false)."""
        from flask import current_app

        from linktime.jobs.outbox import dispatch
        from linktime.jobs.scheduler import run_forever

        if once:
            outcomes = dispatch()
            click.echo(f"Ran {len(outcomes)} job(s).")
            return
        run_forever(current_app._get_current_object(), interval)

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--username", required=True)
    @click.option("--name", required=True)
    @click.option("--timezone", default="UTC", show_default=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--admin/--member", default=False, help="The first account is always an admin.")
    def create_user(email, username, name, timezone, password, admin):
        """Create an account without the web sign-up (e.g. when sign-up is closed)."""
        from linktime.accounts.forms import RESERVED_USERNAMES, USERNAME_PATTERN
        from linktime.accounts.service import AccountTaken, create_user as create

        username = username.strip().lower()
        if not USERNAME_PATTERN.match(username) or username in RESERVED_USERNAMES:
            raise click.BadParameter("lowercase letters, digits and hyphens; not reserved", param_hint="--username")
        if not is_timezone(timezone):
            raise click.BadParameter(f"unknown time zone {timezone!r}", param_hint="--timezone")
        if len(password) < 8:
            raise click.BadParameter("at least 8 characters", param_hint="--password")
        try:
            user = create(name=name, email=email, username=username, timezone=timezone,
                          password=password, admin=admin)
        except AccountTaken as exc:
            raise click.ClickException(str(exc))
        click.echo(f"Created {'admin' if user.is_admin else 'member'} {user.email} ({user.username}).")
