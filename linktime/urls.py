"""Links that leave the app (copied, emailed, sent to Zoom) are built on BASE_URL."""
from flask import current_app, has_request_context, url_for


def public_url(endpoint: str, **values) -> str:
    """An absolute URL on the configured BASE_URL, in a request or in a background job."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context("/"):
            path = url_for(endpoint, **values)
    return current_app.config["BASE_URL"].rstrip("/") + path
