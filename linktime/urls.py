"""Links that leave the app (copied, emailed, sent to Zoom) are built on BASE_URL."""
from flask import current_app, has_request_context, url_for
from werkzeug.routing import MapAdapter

from linktime.extensions import real_app


def public_url(endpoint: str, **values) -> str:
    """An absolute URL on the configured BASE_URL, in a request or in a background job."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:  # a job: the app's routes, without the cost of a request context for each link
        path = _adapter().build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def _adapter() -> MapAdapter:
    app = real_app()
    adapter = app.extensions.get("linktime.url_adapter")
    if adapter is None:
        adapter = app.extensions["linktime.url_adapter"] = app.url_map.bind("localhost")
    return adapter
