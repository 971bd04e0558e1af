"""Inspection endpoints for demos; registered only when MOONLY_DEMO is on."""

from flask import Blueprint

bp = Blueprint("demo", __name__, url_prefix="/demo")

from . import views  # noqa: E402,F401
