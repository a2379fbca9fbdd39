"""Logs without secrets: OAuth codes and states, link tokens and booking tokens are masked.

The development server logs through "werkzeug", gunicorn through "gunicorn.access" and
"gunicorn.error", LinkTime through "linktime" and its children; a filter on each rewrites the
line — and the traceback of an error, which may quote a URL — before any handler sees it.
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
        except Exception:  # noqa: BLE001 - a malformed record is left for logging itself to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


_FILTER = RedactSecrets()


def redact_secrets_in_logs() -> None:
    """On the servers' loggers and on LinkTime's own (a filter on a logger does not reach its children)."""
    ours = [name for name in logging.root.manager.loggerDict if name.startswith("linktime.")]
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", "linktime", *ours):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
