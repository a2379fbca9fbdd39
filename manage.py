#!/usr/bin/env python3
"""Install LinkTime into ./.venv and run it, or run its tests.

    python3 manage.py run     install, bring the database up to date, serve on :5000
                              (LINKTIME_HOST / LINKTIME_PORT move it; links and the sandbox follow)
    python3 manage.py test    install with the test extras, check the code (ruff, mypy), run the whole suite

Only the Python standard library is used here, so this works on a fresh machine.
Extra arguments after `test` go to pytest (e.g. `python3 manage.py test -k booking`).
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import venv
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_installed(extras: str) -> None:
    """Create the virtualenv and install the project when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - run by whatever python3 the machine has
        sys.exit("LinkTime needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print("Creating virtual environment in .venv …", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # noqa: BLE001 - ensurepip missing on some distributions
            sys.exit(f"Could not create .venv ({exc}). On Debian/Ubuntu: apt install python3-venv")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"Installing LinkTime{f' [{extras}]' if extras else ''} …", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    target = f".[{extras}]" if extras else "."
    subprocess.run([*pip, "-e", target], check=True, cwd=ROOT)
    stamp.write_text(digest)


def flask(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(PYTHON), "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, **kwargs)


def app_settings() -> dict:
    """What the app makes of its configuration: BASE_URL, HOST, PORT and the Zoom sandbox."""
    probe = (
        "import json; from linktime import create_app; "
        "a = create_app(); c = a.config; "
        "print(json.dumps({**{k: c[k] for k in ('BASE_URL', 'HOST', 'PORT', 'ZOOM_SANDBOX', 'GOOGLE_SANDBOX', "
        "'MICROSOFT_SANDBOX', 'ZOOM_SANDBOX_URL')}, "
        "'INSTANCE': a.instance_path}))"
    )
    env = {**os.environ, "LINKTIME_SCHEDULER_ENABLED": "false"}
    result = subprocess.run([str(PYTHON), "-c", probe], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port_from(host: str, port: int, *, avoid: int) -> int:
    """``port`` if it is free, else the next free one above it (never ``avoid``)."""
    for candidate in range(port, port + 100):
        if candidate != avoid and port_is_free(host, candidate):
            return candidate
    raise SystemExit(f"No free port near {port} for the Zoom sandbox; set LINKTIME_ZOOM_SANDBOX_URL.")


def listen_mismatch(base_url: str, host: str, port: int) -> str | None:
    """A warning when BASE_URL does not point at where this server listens (links would break)."""
    parts = urlsplit(base_url)
    url_port = parts.port or (443 if parts.scheme == "https" else 80)
    loopback = {"127.0.0.1", "localhost", "::1"}
    same_host = (host in ("0.0.0.0", "::", "") or parts.hostname == host
                 or (host in loopback and parts.hostname in loopback))
    if same_host and url_port == port:
        return None
    return (f"BASE_URL is {base_url}, but LinkTime listens on {host}:{port}. Links in emails, redirects and "
            "the Zoom redirect URL use BASE_URL: fine behind a reverse proxy that forwards it here, "
            "otherwise unset BASE_URL or make it match.")


def run() -> int:
    ensure_installed("")
    flask("db", "upgrade", check=True)
    settings = app_settings()
    host, port = str(settings["HOST"]), int(settings["PORT"])
    env = dict(os.environ)
    warning = listen_mismatch(settings["BASE_URL"], host, port)
    if warning:
        print(f"\nWarning: {warning}", flush=True)
    sandbox = sandbox_url = None
    if settings["ZOOM_SANDBOX"] or settings["GOOGLE_SANDBOX"] or settings["MICROSOFT_SANDBOX"]:
        wanted = urlsplit(settings["ZOOM_SANDBOX_URL"])
        sandbox_port = free_port_from(wanted.hostname or "127.0.0.1", wanted.port or port + 1, avoid=port)
        sandbox_url = f"http://{wanted.hostname}:{sandbox_port}"
        env["LINKTIME_ZOOM_SANDBOX_URL"] = sandbox_url
        sandbox = subprocess.Popen(
            [
                str(PYTHON),
                "-m",
                "linktime.sandbox",
                "--host",
                wanted.hostname or "127.0.0.1",
                "--port",
                str(sandbox_port),
                "--webhook-url",
                settings["BASE_URL"].rstrip("/") + "/integrations/zoom/webhook",
                "--instance",
                settings["INSTANCE"],
            ],
            cwd=ROOT,
            env=env,
        )
    listening = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    print(f"\nLinkTime is running on {listening}  (Ctrl+C to stop)", flush=True)
    if settings["BASE_URL"].rstrip("/") != listening:
        print(f"Links, emails and the Zoom redirect URL use {settings['BASE_URL']}", flush=True)
    if sandbox:
        played = [name for name, key in (("Zoom", "ZOOM_SANDBOX"), ("Google", "GOOGLE_SANDBOX"),
                                         ("Microsoft", "MICROSOFT_SANDBOX")) if settings[key]]
        print(f"Sandbox playing {', '.join(played)} (no accounts needed) on {sandbox_url}/sandbox\n", flush=True)
    try:
        return flask("run", "--host", host, "--port", str(port), "--with-threads", env=env).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        if sandbox:
            sandbox.terminate()
            sandbox.wait(timeout=10)


def lint() -> int:
    """ruff (the rules in pyproject.toml) and mypy (its settings there); non-zero if either finds anything."""
    failed = 0
    for name, command in (("ruff", [str(BIN / "ruff"), "check", "."]), ("mypy", [str(BIN / "mypy")])):
        print(f"== {name}", flush=True)
        failed |= subprocess.run(command, cwd=ROOT).returncode
    return failed


def test(args: list[str]) -> int:
    ensure_installed("test")
    checked = lint()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    tested = subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env).returncode
    if checked and not tested:
        print("The tests passed, but ruff or mypy found problems (above).", flush=True)
    return tested or checked


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test"}:
        print(__doc__)
        return 2
    return run() if argv[0] == "run" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
