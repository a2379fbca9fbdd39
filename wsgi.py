"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""
from linktime import create_app

app = create_app()
