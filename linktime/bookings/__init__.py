from flask import Blueprint

bp = Blueprint("bookings", __name__)

from linktime.bookings import host_views, views  # noqa: E402,F401 - registers the routes on the blueprint above
