"""The run command: where it listens, where the Zoom sandbox goes, and when BASE_URL disagrees."""
from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import pytest

pytestmark = pytest.mark.same_on_every_database  # no database in these tests (CI runs them on SQLite only)

spec = importlib.util.spec_from_file_location("manage", Path(__file__).resolve().parents[2] / "manage.py")
manage = importlib.util.module_from_spec(spec)
spec.loader.exec_module(manage)


@pytest.mark.parametrize("base_url, host, port", [
    ("http://127.0.0.1:5000", "127.0.0.1", 5000),
    ("http://localhost:5055", "127.0.0.1", 5055),
    ("http://book.example.com:8000", "0.0.0.0", 8000),
])
def test_a_base_url_that_points_here_is_quiet(base_url, host, port):
    assert manage.listen_mismatch(base_url, host, port) is None


@pytest.mark.parametrize("base_url, host, port", [
    ("http://127.0.0.1:5000", "127.0.0.1", 5055),
    ("https://book.example.com", "127.0.0.1", 5000),
])
def test_a_base_url_elsewhere_is_reported(base_url, host, port):
    warning = manage.listen_mismatch(base_url, host, port)
    assert warning and base_url in warning and f"{host}:{port}" in warning


def test_the_sandbox_moves_to_the_next_free_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        chosen = manage.free_port_from("127.0.0.1", port, avoid=port + 1)
    assert chosen not in (port, port + 1) and chosen > port
    assert manage.port_is_free("127.0.0.1", chosen)
