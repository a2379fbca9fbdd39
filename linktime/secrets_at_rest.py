"""Every encrypted column, so that key rotation can reach them all."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from linktime.crypto import DecryptionError
from linktime.extensions import db
from linktime.models import Meeting, ZoomConnection, sealed_context

SEALED_COLUMNS = {
    ZoomConnection: ("access_token_enc", "refresh_token_enc"),
    Meeting: ("join_url_enc", "password_enc"),
}


def reencrypt_all() -> tuple[int, int]:
    """Re-encrypt values not under the current key. Returns (re-encrypted, unreadable)."""
    ring = current_app.extensions["linktime.keyring"]
    changed = unreadable = 0
    for model, columns in SEALED_COLUMNS.items():
        for row in db.session.scalars(select(model)):
            for column in columns:
                blob = getattr(row, column)
                if blob is None or ring.is_current(blob):
                    continue
                context = sealed_context(model.__tablename__, column, row.uid)
                try:
                    setattr(row, column, ring.encrypt(ring.decrypt(blob, context), context))
                    changed += 1
                except DecryptionError:
                    unreadable += 1
    db.session.commit()
    return changed, unreadable
