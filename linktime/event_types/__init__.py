from flask import Blueprint

bp = Blueprint("event_types", __name__, url_prefix="/event-types")

from linktime.event_types import views  # noqa: E402,F401 - registers the routes on the blueprint above
