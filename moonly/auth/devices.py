"""Known browsers: a signed cookie naming the accounts that logged in from it.

The account-wide login limit (the one address rotation cannot dodge) does not apply to
a browser that has logged in to that account before, so an attacker guessing from many
addresses cannot lock the owner out (OWASP's "device cookies").
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

COOKIE = "moonly_device"
MAX_AGE = 365 * 24 * 3600
MAX_ACCOUNTS = 5  # a shared computer: the last few accounts used on it


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="moonly-device")


def _account_tag(email: str) -> str:
    """A short keyed digest of the normalized email: the cookie never shows it."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, email.encode(), hashlib.sha256).hexdigest()[:24]


def _known_tags() -> list[str]:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 1024:
        return []
    try:
        tags = _serializer().loads(raw)
    except BadSignature:
        return []
    if not isinstance(tags, list):
        return []
    return [t for t in tags if isinstance(t, str)][:MAX_ACCOUNTS]


def is_known(email: str) -> bool:
    """Has this browser logged in to the account with this (normalized) email?"""
    return bool(email) and _account_tag(email) in _known_tags()


def remember(response: Response, email: str) -> None:
    """Mark this browser as one the account's owner uses."""
    tag = _account_tag(email)
    tags = [tag] + [t for t in _known_tags() if t != tag]
    response.set_cookie(
        COOKIE,
        _serializer().dumps(tags[:MAX_ACCOUNTS]),
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
