from flask import Blueprint

bp = Blueprint("landing", __name__)

from . import views  # noqa: E402,F401
