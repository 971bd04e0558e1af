"""Signup and login rate limits: one policy, and one set of counters, for every way in.

The signup page and the app's API share Flask-Limiter scopes, and so do the login page
and the API's sessions: a guesser gets one budget whichever way they come in. Each
front end says how to read a login's email and what a failed login looks like.

- Per client address, every signup and login POST (RATELIMIT_SIGNUP, RATELIMIT_LOGIN).
- Per account *and* address, failed logins only (RATELIMIT_LOGIN_PER_EMAIL): one
  address guessing one password is slowed; the owner elsewhere is untouched.
- Per account, failed logins (RATELIMIT_LOGIN_PER_ACCOUNT), except from a client the
  front end knows the owner uses (the page's device cookie): guessing from many
  addresses is slowed too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, current_app
from flask_limiter.util import get_remote_address

from ..extensions import limiter

View = TypeVar("View", bound=Callable[..., Any])


def setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


signup_per_address = limiter.shared_limit(
    setting("RATELIMIT_SIGNUP"), scope="signup", methods=["POST"]
)


def login_limits(
    *,
    email: Callable[[], str],
    failed: Callable[[Response], bool],
    known_client: Callable[[], bool] | None,
    account_message: str,
) -> Callable[[View], View]:
    """The three login limits for one way to log in, counting with every other way."""
    limits = (
        limiter.shared_limit(
            setting("RATELIMIT_LOGIN"), scope="login", methods=["POST"]
        ),
        limiter.shared_limit(
            setting("RATELIMIT_LOGIN_PER_EMAIL"),
            scope="login-pair",
            methods=["POST"],
            key_func=lambda: f"login:{email()}:{get_remote_address()}",
            deduct_when=failed,
        ),
        limiter.shared_limit(
            setting("RATELIMIT_LOGIN_PER_ACCOUNT"),
            scope="login-account",
            methods=["POST"],
            key_func=lambda: f"login-account:{email()}",
            deduct_when=failed,
            exempt_when=known_client,
            error_message=account_message,
        ),
    )

    def apply(view: View) -> View:
        for limit in reversed(limits):
            view = cast(View, limit(view))
        return view

    return apply
