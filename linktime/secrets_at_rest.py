"""Every encrypted column, so that key rotation can reach them all."""
from __future__ import annotations

from sqlalchemy import select, update

from linktime.crypto import DecryptionError, keyring
from linktime.extensions import db, rows_changed
from linktime.models import CalendarConnection, Meeting, ZoomConnection, sealed_context

SEALED_COLUMNS: dict[type[ZoomConnection | Meeting | CalendarConnection], tuple[str, ...]] = {
    ZoomConnection: ("access_token_enc", "refresh_token_enc"),
    Meeting: ("join_url_enc", "password_enc"),
    CalendarConnection: ("secret_enc",),
}


def reencrypt_all() -> tuple[int, int]:
    """Re-encrypt values not under the current key. Returns (re-encrypted, unreadable).

    Safe while workers run: each value is swapped only if it is still the one that was read
    (compare-and-swap on the ciphertext, whose nonce is new on every write), so a token refreshed
    meanwhile is never put back to its old value; a value that moved is read again.
    """
    changed = unreadable = 0
    for model, row_id, uid, column in _sealed_values():
        outcome = _reencrypt(model, row_id, uid, column)
        changed += outcome == "changed"
        unreadable += outcome == "unreadable"
    return changed, unreadable


def unreadable_count() -> tuple[int, int]:
    """(values that cannot be decrypted with the current keys, all stored values). Reads only."""
    ring, unreadable, total = keyring(), 0, 0
    for model, row_id, uid, column in _sealed_values():
        blob = db.session.scalar(select(getattr(model, column)).where(model.id == row_id))
        if blob is None:
            continue
        total += 1
        try:
            ring.decrypt(blob, sealed_context(model.__tablename__, column, uid))
        except DecryptionError:
            unreadable += 1
    db.session.commit()
    return unreadable, total


def _sealed_values():
    for model, columns in SEALED_COLUMNS.items():
        for row_id, uid in db.session.execute(select(model.id, model.uid)).all():
            for column in columns:
                yield model, row_id, uid, column


def _reencrypt(model, row_id: int, uid: str, column: str, attempts: int = 5) -> str:
    ring, attribute = keyring(), getattr(model, column)
    context = sealed_context(model.__tablename__, column, uid)
    for _ in range(attempts):
        blob = db.session.scalar(select(attribute).where(model.id == row_id))
        db.session.commit()
        if blob is None or ring.is_current(blob):
            return "current"
        try:
            fresh = ring.encrypt(ring.decrypt(blob, context), context)
        except DecryptionError:
            return "unreadable"
        swapped = rows_changed(
            update(model).where(model.id == row_id, attribute == blob).values({column: fresh})
        )
        db.session.commit()
        if swapped:
            return "changed"
    return "moved"  # written again and again meanwhile: by someone with the current key
