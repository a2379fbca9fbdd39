"""Links that leave the app (copied, emailed, sent to Zoom) are built on BASE_URL."""
from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    """An absolute URL on the configured BASE_URL, whatever Host header the request had."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)
