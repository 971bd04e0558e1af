"""Bearer tokens for the app: random, stored only as SHA-256 digests, revocable, and
expiring after TOKEN_LIFETIME. A token also ends when its user's sessions end (logout
on the web, a password change) or the account is deleted."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import g, request
from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..timeutil import as_utc, utcnow
from .errors import ApiError
from .models import ApiToken

TOKEN_LIFETIME = timedelta(days=30)
PREFIX = "mly_"  # says what a leaked string is, to a reader and to secret scanners
MAX_LENGTH = 128  # issued tokens have 47 characters


class NewToken:
    """A token for one user: shown to the app once, only its digest is kept."""

    def __init__(self) -> None:
        self.token = PREFIX + secrets.token_urlsafe(32)
        self.expires_at = utcnow() + TOKEN_LIFETIME

    def add_for(self, user: User) -> None:
        """Add it to the session, to be committed (with the new user, at signup)."""
        db.session.add(
            ApiToken(
                user=user,
                digest=digest(self.token),
                session_version=user.session_version,
                expires_at=self.expires_at,
            )
        )


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User) -> NewToken:
    """Make and commit a new token for the user (a login)."""
    new = NewToken()
    new.add_for(user)
    db.session.commit()
    return new


def find(token: str) -> ApiToken | None:
    """The live token this string is: issued, not revoked, not expired, and its user's
    sessions not ended since."""
    if not token or len(token) > MAX_LENGTH:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.digest == digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    if as_utc(row.expires_at) <= utcnow():
        return None
    user = row.user
    if user.deleted_at is not None or user.session_version != row.session_version:
        return None
    return row


def revoke(row: ApiToken) -> None:
    row.revoked_at = utcnow()
    db.session.commit()


def _bearer() -> str | None:
    """The token of `Authorization: Bearer <token>`, "" if malformed, None if absent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def current() -> ApiToken | None:
    """The live token this request carries, if any (looked up once per request)."""
    if "api_token" not in g:
        token = _bearer()
        g.api_token = find(token) if token else None
    return g.api_token  # type: ignore[no-any-return]


def authenticated() -> ApiToken:
    """The live token this request carries; 401 without one."""
    row = current()
    if row is not None:
        return row
    if _bearer() is None:
        raise ApiError(
            401,
            "missing_token",
            "Send the token from signup or login: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="moonly"'},
        )
    raise ApiError(
        401,
        "invalid_token",
        "This token is unknown, expired or revoked. Log in again.",
        headers={"WWW-Authenticate": 'Bearer realm="moonly", error="invalid_token"'},
    )
