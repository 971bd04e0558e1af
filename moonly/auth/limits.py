"""Login and signup rate limits: slow a guesser down without locking the owner out.

- Per client address, every login and signup POST (RATELIMIT_LOGIN, RATELIMIT_SIGNUP).
- Per account *and* address, failed logins only (RATELIMIT_LOGIN_PER_EMAIL): one
  address guessing one password is slowed; the owner elsewhere is untouched.
- Per account, failed logins from browsers that never logged in to it
  (RATELIMIT_LOGIN_PER_ACCOUNT): guessing from many addresses is slowed too, while the
  owner's own browsers (the device cookie) are exempt, so they always get back in.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address

from ..accounts.service import normalize_email
from ..extensions import limiter
from . import devices


def setting(name: str):
    return lambda: current_app.config[name]


def login_email() -> str:
    return normalize_email(request.form.get("email") or "")[:254]


def _failed(response: Response) -> bool:
    return response.status_code != 302  # a successful login redirects


def _pair_key() -> str:
    return f"login:{login_email()}:{get_remote_address()}"


def _account_key() -> str:
    return f"login-account:{login_email()}"


def _known_device() -> bool:
    return devices.is_known(login_email())


ACCOUNT_MESSAGE = (
    "Too many failed logins for this account from new browsers. Log in from a browser "
    "you have used with Moonly before, or wait an hour and try again."
)

per_address = limiter.limit(setting("RATELIMIT_LOGIN"), methods=["POST"])
per_pair = limiter.limit(
    setting("RATELIMIT_LOGIN_PER_EMAIL"),
    methods=["POST"],
    key_func=_pair_key,
    deduct_when=_failed,
)
per_account = limiter.limit(
    setting("RATELIMIT_LOGIN_PER_ACCOUNT"),
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_failed,
    exempt_when=_known_device,
    error_message=ACCOUNT_MESSAGE,
)
