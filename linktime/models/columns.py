"""Column types and helpers every table uses: UTC instants, uids, sealed (encrypted) values."""
from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy.types import DateTime, TypeDecorator

from linktime.crypto import DecryptionError, keyring


def now_utc() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_uid() -> str:
    return str(uuid.uuid4())


def sealed_context(table: str, column: str, uid: str) -> str:
    """The associated data that binds an encrypted value to its table, column and row."""
    return f"{table}.{column}:{uid}"


def sealed(column: str, doc: str) -> property:
    """A secret kept encrypted in ``column``, bound to this table, column and row (its uid)."""

    def context(row) -> str:
        return sealed_context(row.__tablename__, column, row.uid)

    def read(row) -> str | None:
        blob = getattr(row, column)
        if blob is None:
            return None
        try:
            return keyring().decrypt(blob, context(row))
        except DecryptionError as exc:
            # A key missing from ENCRYPTION_KEYS must not break pages: the value reads as absent.
            current_app.logger.error("cannot decrypt %s of %s %s: %s", column, row.__tablename__, row.uid, exc)
            return None

    def write(row, value: str | None) -> None:
        if row.uid is None:
            row.uid = new_uid()
        blob = None if value is None else keyring().encrypt(value, context(row))
        setattr(row, column, blob)

    return property(read, write, doc=doc)
