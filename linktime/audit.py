"""The audit trail hosts read on Settings → Integrations. Words only, never a secret."""
from __future__ import annotations

from sqlalchemy import select

from linktime.extensions import db
from linktime.models import AuditEvent


def record(user_id: int | None, kind: str, detail: str = "") -> None:
    """Add an event to the current transaction."""
    db.session.add(AuditEvent(user_id=user_id, kind=kind, detail=detail[:1000]))


def recent(user_id: int, limit: int = 20) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.user_id == user_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    ))
