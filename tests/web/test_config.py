"""Configuration comes from defaults, instance/config.py and LINKTIME_* variables."""
from __future__ import annotations

from flask import Flask

from linktime.config import load_config


def make(tmp_path, monkeypatch, env=None, instance_config=None):
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    if instance_config is not None:
        (tmp_path / "config.py").write_text(instance_config)
    app = Flask("linktime", instance_path=str(tmp_path), instance_relative_config=True)
    load_config(app, None)
    return app


def test_embedded_defaults(tmp_path, monkeypatch):
    app = make(tmp_path, monkeypatch)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'linktime.db'}"
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    assert app.config["SCHEDULER_ENABLED"] is True and app.config["ALLOW_SIGNUP"] is False


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    first = make(tmp_path, monkeypatch).config["SECRET_KEY"]
    assert len(first) >= 40
    assert make(tmp_path, monkeypatch).config["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_environment_beats_instance_config(tmp_path, monkeypatch):
    app = make(tmp_path, monkeypatch,
               env={"LINKTIME_BASE_URL": "https://book.example.com", "LINKTIME_ALLOW_SIGNUP": "true"},
               instance_config="BASE_URL = 'http://from-file'\nSECRET_KEY = 'from-file'\n")
    assert app.config["BASE_URL"] == "https://book.example.com"
    assert app.config["ALLOW_SIGNUP"] is True
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_host_and_port_move_base_url_the_zoom_redirect_and_the_sandbox(tmp_path, monkeypatch):
    from linktime.conferencing.zoom.client import ZoomSettings

    app = make(tmp_path, monkeypatch, env={"LINKTIME_HOST": "127.0.0.2", "LINKTIME_PORT": "5055"})
    assert app.config["BASE_URL"] == "http://127.0.0.2:5055"
    assert app.config["ZOOM_API_URL"] == "http://127.0.0.1:5056/v2"
    assert ZoomSettings.from_config(app.config).redirect_uri == "http://127.0.0.2:5055/integrations/zoom/callback"
    wildcard = make(tmp_path, monkeypatch, env={"LINKTIME_HOST": "0.0.0.0", "LINKTIME_PORT": "8000"})
    assert wildcard.config["BASE_URL"] == "http://127.0.0.1:8000"


def test_an_explicit_base_url_is_kept_whatever_the_port(tmp_path, monkeypatch):
    app = make(tmp_path, monkeypatch, env={"LINKTIME_PORT": "5055", "LINKTIME_BASE_URL": "https://book.example.com"})
    assert app.config["BASE_URL"] == "https://book.example.com"


def test_sqlite_flushes_at_checkpoints_unless_told_to_flush_every_commit(tmp_path, monkeypatch):
    import pytest
    from sqlalchemy import text

    from linktime import create_app
    from linktime.extensions import db

    def level(env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        app = create_app(instance_path=str(tmp_path))
        with app.app_context():
            found = db.session.execute(text("PRAGMA synchronous")).scalar()
            db.engine.dispose()
        return found

    assert level({}) == 1  # NORMAL
    assert level({"LINKTIME_SQLITE_SYNCHRONOUS": "full"}) == 2  # FULL
    with pytest.raises(RuntimeError, match="SQLITE_SYNCHRONOUS must be one of NORMAL, FULL, EXTRA"):
        level({"LINKTIME_SQLITE_SYNCHRONOUS": "off"})
