from flask import Blueprint

bp = Blueprint("accounts", __name__)

from linktime.accounts import views  # noqa: E402,F401 - registers the routes on the blueprint above
