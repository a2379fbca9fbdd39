"""Throttling holds across processes: two gunicorn workers share one allowance per account."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.helpers import TEST_KEYS, add_user, close_app, database_uri, make_app

ROOT = Path(__file__).resolve().parents[2]

WORKER_APP = '''
import json, os
from linktime import create_app

app = create_app(json.loads(os.environ["TEST_CONFIG"]), instance_path=os.environ["TEST_INSTANCE"])


def application(environ, start_response):
    def tagged(status, headers, exc_info=None):
        return start_response(status, headers + [("X-Worker", str(os.getpid()))], exc_info)
    return app(environ, tagged)
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn_serving(tmp_path: Path, config: dict, *, workers: int = 2, threads: int = 1,
                     access_log: Path | None = None):
    """LinkTime under gunicorn with this configuration, as the README deploys it; its URL."""
    (tmp_path / "worker_app.py").write_text(WORKER_APP)
    port = free_port()
    env = {**os.environ, "TEST_CONFIG": json.dumps(config), "TEST_INSTANCE": str(tmp_path / "instance"),
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    logging = ["--access-logfile", str(access_log)] if access_log else []
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
                               "--bind", f"127.0.0.1:{port}", *logging, "worker_app:application"], cwd=tmp_path,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{url}/login", timeout=5)
                break
            except requests.ConnectionError:
                if server.poll() is not None:
                    raise AssertionError(server.stderr.read().decode()) from None
                time.sleep(0.05)  # waiting for a process to listen, not for a race
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def worker_config(tmp_path: Path, **settings) -> dict:
    return {
        "SECRET_KEY": "test-secret",
        "ENCRYPTION_KEYS": TEST_KEYS,
        "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
        "SCHEDULER_ENABLED": False,
        "ZOOM_SANDBOX_CLIENT_SECRET": "x",
        "ZOOM_SANDBOX_WEBHOOK_SECRET": "y",
        **settings,
    }


@pytest.fixture
def two_workers(tmp_path):
    app = make_app(tmp_path)  # the schema, and Ada
    with app.app_context():
        add_user("ada")
    close_app(app)
    with gunicorn_serving(tmp_path, worker_config(tmp_path, WTF_CSRF_ENABLED=False),
                          access_log=tmp_path / "access.log") as url:
        yield url, tmp_path / "access.log"


def attempt_pair(url: str, password: str) -> list[tuple[int, str]]:
    """Two sign-in attempts at the same moment, so that both workers are busy at once."""
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str]] = []

    def attempt() -> None:
        barrier.wait(timeout=10)
        response = requests.post(f"{url}/login", data={"email": "ada@example.com", "password": password},
                                 headers={"Connection": "close"}, allow_redirects=False, timeout=30)
        answers.append((response.status_code, response.headers["X-Worker"]))

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_sign_in_throttling_holds_across_two_gunicorn_workers(two_workers):
    two_workers, _ = two_workers
    wrong = [answer for _ in range(5) for answer in attempt_pair(two_workers, "wrong password")]
    assert [status for status, _ in wrong] == [422] * 10
    assert len({worker for _, worker in wrong}) == 2, "both workers took guesses"
    # The eleventh try is refused by whichever worker answers it, even with the right password.
    refused: list[tuple[int, str]] = []
    while len({worker for _, worker in refused}) < 2 and len(refused) < 20:
        refused += attempt_pair(two_workers, "correct horse")
    assert {status for status, _ in refused} == {429}
    assert len({worker for _, worker in refused}) == 2, "both workers refused"


def test_gunicorn_access_log_masks_tokens_and_codes(two_workers):
    url, log = two_workers
    requests.get(f"{url}/booking/SECRETBOOKINGTOKEN/cancel", timeout=10)
    requests.get(f"{url}/integrations/zoom/callback?code=SECRETCODE&state=SECRETSTATE", timeout=10)
    for _ in range(100):  # gunicorn writes the line after answering
        if log.exists() and "/integrations/zoom/callback" in log.read_text():
            break
        time.sleep(0.05)
    text = log.read_text()
    assert "/booking/[token]/cancel" in text and "code=[redacted]" in text
    assert "SECRET" not in text
