"""Entry point for gunicorn (`wsgi:app`) and `flask run`."""

from moonly import create_app

app = create_app()
