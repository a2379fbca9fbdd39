"""flask commands: `flask --app wsgi create-user …`, `run-jobs`, `doctor`, `rotate-keys`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from linktime.accounts.forms import RESERVED_USERNAMES, USERNAME_PATTERN, password_problem
from linktime.accounts.service import AccountTaken, email_in_use
from linktime.accounts.service import create_user as create
from linktime.config import write_private_atomically
from linktime.crypto import KeyRing, generate_key
from linktime.doctor import run_checks
from linktime.extensions import real_app
from linktime.jobs.runner import dispatch
from linktime.jobs.scheduler import run_forever
from linktime.secrets_at_rest import reencrypt_all
from linktime.zones import is_timezone


def register_cli(app: Flask) -> None:
    for command in (run_jobs, doctor, create_user, rotate_keys):
        app.cli.add_command(command)


@click.command("run-jobs")
@with_appcontext
@click.option("--once", is_flag=True, help="Run the due jobs once and exit.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
def run_jobs(once: bool, interval: float) -> None:
    """Run the background job dispatcher (for web workers with SCHEDULER_ENABLED=false)."""
    if once:
        outcomes = dispatch()
        click.echo(f"Ran {len(outcomes)} job(s).")
        return
    run_forever(real_app(), interval)


@click.command("doctor")
@with_appcontext
def doctor() -> None:
    """Check this installation: database, keys, BASE_URL, Zoom app, webhook secret, mail."""
    results = run_checks()
    for result in results:
        click.echo(result.line())
    failed = [r for r in results if not r.ok]
    click.echo(f"\n{len(results) - len(failed)} ok, {len(failed)} to fix.")
    if failed:
        raise SystemExit(1)


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--username", required=True)
@click.option("--name", required=True)
@click.option("--timezone", default="UTC", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin/--member", default=False, help="The first account is always an admin.")
def create_user(email: str, username: str, name: str, timezone: str, password: str, admin: bool) -> None:
    """Create an account without the web sign-up (e.g. when sign-up is closed)."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username) or username in RESERVED_USERNAMES:
        raise click.BadParameter("lowercase letters, digits and hyphens; not reserved", param_hint="--username")
    if not is_timezone(timezone):
        raise click.BadParameter(f"unknown time zone {timezone!r}", param_hint="--timezone")
    problem = password_problem(password, [email, username, name])
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    if email_in_use(email):  # the operator may know: this is not a public form
        raise click.BadParameter("an account with this email exists", param_hint="--email")
    try:
        user = create(name=name, email=email, username=username, timezone=timezone,
                      password=password, admin=admin)
    except AccountTaken as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {'admin' if user.is_admin else 'member'} {user.email} ({user.username}).")


@click.command("rotate-keys")
@with_appcontext
@click.option("--new-key", is_flag=True, help="Generate a new key and make it the current one first.")
def rotate_keys(new_key: bool) -> None:
    """Re-encrypt every stored secret with the current (first) ENCRYPTION_KEYS key."""
    if new_key:
        _add_current_key()
    changed, unreadable = reencrypt_all()
    click.echo(f"Re-encrypted {changed} value(s) with the current key.")
    if unreadable:
        raise click.ClickException(
            f"{unreadable} value(s) could not be decrypted with any configured key; they were left as they are.")


def _add_current_key() -> None:
    """A new key, first in the instance's key file (the older ones kept after it, to read with)."""
    key_file = current_app.config.get("ENCRYPTION_KEYS_FILE")
    if not key_file:
        key = generate_key()
        raise click.ClickException(
            "ENCRYPTION_KEYS comes from your configuration, so LinkTime cannot change it. Put this new "
            "key first in ENCRYPTION_KEYS (keep the old ones after it), restart, then run rotate-keys "
            f"again:\n{key}"
        )
    keys = f"{generate_key()},{current_app.config['ENCRYPTION_KEYS']}"
    write_private_atomically(Path(key_file), keys)
    current_app.config["ENCRYPTION_KEYS"] = keys
    current_app.extensions["linktime.keyring"] = KeyRing.from_config(keys)
    # Running workers read the file again on their next use of a secret: no restart needed.
    click.echo(f"Added a new current key to {key_file}.")
