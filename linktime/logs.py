"""Access logs without secrets: OAuth codes and states, link tokens and booking tokens are masked.

The development server logs through "werkzeug", gunicorn through "gunicorn.access"; a filter on
each rewrites the line before any handler sees it.
"""
from __future__ import annotations

import logging
import re

# ``next`` too: a sign-in redirect carries the page asked for, query string and all, encoded.
_QUERY_SECRETS = re.compile(r"([?&](?:code|state|token|invite|address|reschedule|next)=)[^&\s\"]+")
_PATH_SECRETS = re.compile(r"(/booking/)[^/\s?\"]+")


def redact(text: str) -> str:
    return _PATH_SECRETS.sub(r"\1[token]", _QUERY_SECRETS.sub(r"\1[redacted]", text))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is left for logging itself to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = RedactSecrets()


def redact_secrets_in_access_logs() -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
