#!/usr/bin/env python3
"""Install LinkTime into ./.venv and run it, or run its tests.

    python3 manage.py run     install, bring the database up to date, serve on :5000
    python3 manage.py test    install with the test extras and run the whole suite

Only the Python standard library is used here, so this works on a fresh machine.
Extra arguments after `test` go to pytest (e.g. `python3 manage.py test -k booking`).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_installed(extras: str) -> None:
    """Create the virtualenv and install the project when pyproject.toml changed."""
    if sys.version_info < (3, 11):
        sys.exit("LinkTime needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print("Creating virtual environment in .venv …", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # ensurepip missing on some distributions
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


def zoom_sandbox_url() -> str | None:
    """The sandbox address when LinkTime is configured without a real Zoom app, else None."""
    probe = (
        "from linktime import create_app; c = create_app().config; "
        "print(c['ZOOM_SANDBOX_URL'] if c['ZOOM_SANDBOX'] else '')"
    )
    env = {**os.environ, "LINKTIME_SCHEDULER_ENABLED": "false"}
    result = subprocess.run([str(PYTHON), "-c", probe], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else None


def run() -> int:
    ensure_installed("")
    flask("db", "upgrade", check=True)
    host = os.environ.get("LINKTIME_HOST", "127.0.0.1")
    port = os.environ.get("LINKTIME_PORT", "5000")
    sandbox = None
    sandbox_url = zoom_sandbox_url()
    if sandbox_url:
        sandbox_port = sandbox_url.rsplit(":", 1)[-1].strip("/")
        sandbox = subprocess.Popen([
            str(PYTHON), "-m", "linktime.conferencing.zoom.sandbox", "--port", sandbox_port,
            "--webhook-url", f"http://{host}:{port}/integrations/zoom/webhook",
        ], cwd=ROOT)
    print(f"\nLinkTime is running on http://{host}:{port}  (Ctrl+C to stop)", flush=True)
    if sandbox:
        print(f"Zoom sandbox (no Zoom account needed) on {sandbox_url}/sandbox\n", flush=True)
    try:
        return flask("run", "--host", host, "--port", port, "--with-threads").returncode
    except KeyboardInterrupt:
        return 0
    finally:
        if sandbox:
            sandbox.terminate()
            sandbox.wait(timeout=10)


def test(args: list[str]) -> int:
    ensure_installed("test")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test"}:
        print(__doc__)
        return 2
    return run() if argv[0] == "run" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
