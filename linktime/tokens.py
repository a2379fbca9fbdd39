"""Tokens in links (a booking's manage link, an invite) that the database does not hold.

A token is the record's uid followed by a MAC of it under a key derived from SECRET_KEY, so a
copy of the database gives no working link, and a link names its record without a lookup by
secret. Links made before this carried a random token; their SHA-256 is kept to honour them.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re

from flask import current_app

_UID = re.compile(r"^[0-9a-f]{32}\Z")
MAC_CHARS = 22  # 16 bytes of HMAC-SHA256, base64url without padding


def _key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"linktime link tokens", hashlib.sha256).digest()


def _mac(purpose: str, compact_uid: str) -> str:
    digest = hmac.new(_key(), f"{purpose}:{compact_uid}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def link_token(purpose: str, uid: str) -> str:
    """The token in a link to the record with ``uid``, for one purpose ("manage", "invite")."""
    compact = uid.replace("-", "")
    return compact + _mac(purpose, compact)


def uid_of(purpose: str, token: str | None) -> str | None:
    """The uid a genuine token names, else None (checked in constant time)."""
    if not token or len(token) != 32 + MAC_CHARS:
        return None
    compact, mac = token[:32], token[32:]
    if not _UID.match(compact) or not hmac.compare_digest(mac, _mac(purpose, compact)):
        return None
    return f"{compact[:8]}-{compact[8:12]}-{compact[12:16]}-{compact[16:20]}-{compact[20:]}"


def digest(token: str) -> str:
    """How a legacy random token is kept: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()
