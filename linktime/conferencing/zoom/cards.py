"""The Zoom cards on Settings → Integrations (the host's own account, and the team's for admins)."""
from __future__ import annotations

from typing import Any

from flask_login import current_user

from linktime.conferencing.zoom import service
from linktime.conferencing.zoom.client import SCOPE_LIST
from linktime.extensions import db

CARD = "conferencing/_zoom_card.html"


def card_context(workspace: bool, notice: str | None = None) -> dict[str, Any]:
    """What the Zoom status card shows: Not connected · Pending · Connected · Needs attention."""
    connection = service.workspace_connection() if workspace else service.own_connection(current_user)
    if connection is not None and service.recover_if_readable(connection):
        db.session.commit()
    return dict(
        workspace=workspace,
        connection=connection,
        pending=None if connection else service.pending(current_user, workspace),
        notice=notice,
        scopes=SCOPE_LIST,
        can_list=connection is not None and service.can_list_meetings(connection),
        # A member without their own Zoom whose event types the team's account serves.
        team=service.workspace_connection() if not workspace and connection is None else None,
    )
