"""What connected accounts and the records mirrored into them share: a connection's status, its
renewable OAuth grant, and the state a mirrored record should be in."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.orm import Mapped, mapped_column

from linktime.models.columns import UTCDateTime


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    NEEDS_ATTENTION = "needs_attention"


class RenewableGrant:
    """Columns of a connection whose OAuth tokens are renewed once across every process
    (``linktime/token_renewal.py``): raised by every renewal and reconnect, and claimed until."""

    token_version: Mapped[int] = mapped_column(default=0)
    refresh_claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    if TYPE_CHECKING:  # the connection's own columns
        id: Mapped[int]
        status: Mapped[str]

    @property
    def needs_attention(self) -> bool:
        return self.status == ConnectionStatus.NEEDS_ATTENTION


class DesiredState(StrEnum):
    PRESENT = "present"  # exists at the booking's time with its details
    ABSENT = "absent"  # gone: nobody is booked in it any more
