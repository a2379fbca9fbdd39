"""Host pages load a record and check it is the signed-in host's in one step."""
from __future__ import annotations

from typing import Protocol, TypeVar

from flask import abort
from flask_login import current_user

from linktime.extensions import db


class Owned(Protocol):
    @property
    def host_id(self) -> int | None: ...


T = TypeVar("T", bound=Owned)


def own_or_404(model: type[T], record_id: int) -> T:
    """The ``model`` row with this id if the signed-in host owns it (``host_id``); anyone else's is a 404,
    so a stranger cannot even tell that it exists."""
    record = db.session.get(model, record_id)
    if record is None or record.host_id != current_user.id:
        abort(404)
    return record
