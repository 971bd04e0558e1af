"""Cello's hosts for the configured CELLO_ENV: its assets (the attribution script, the
Referral component) and its API."""

from __future__ import annotations

from flask import current_app

ASSETS = {
    "sandbox": "https://assets.sandbox.cello.so",
    "production": "https://assets.cello.so",
}
API = {"sandbox": "https://api.sandbox.cello.so", "production": "https://api.cello.so"}


def assets_host() -> str:
    return ASSETS[current_app.config["CELLO_ENV"]]


def api_host() -> str:
    return API[current_app.config["CELLO_ENV"]]
