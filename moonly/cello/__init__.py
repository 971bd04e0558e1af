"""Cello: the signup events of scenario B, and the Referral component for users."""

from flask import Blueprint

bp = Blueprint("cello", __name__, url_prefix="/cello")

from . import page, views  # noqa: E402,F401
