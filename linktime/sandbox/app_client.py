"""The OAuth client the sandbox accepts (LinkTime's sandbox client id and the instance's secret),
as the sandbox app was made with it (linktime.sandbox.create_sandbox)."""
from __future__ import annotations

from flask import current_app


def client_id() -> str:
    return str(current_app.config["SANDBOX_CLIENT_ID"])


def client_secret() -> str:
    return str(current_app.config["SANDBOX_CLIENT_SECRET"])
