"""The login and signup pages' rate limits: slow a guesser down without locking the
owner out. The policy, shared with the app's API, is in `moonly.accounts.limits`.

On the pages, a browser that has logged in to an account before (the device cookie)
is exempt from the account-wide limit, so the owner always gets back in.
"""

from __future__ import annotations

from flask import Response, request

from ..accounts import limits as policy
from ..accounts.service import normalize_email
from ..extensions import limiter
from . import devices

setting = policy.setting


def login_email() -> str:
    return normalize_email(request.form.get("email") or "")[:254]


def _failed(response: Response) -> bool:
    return response.status_code != 302  # a successful login redirects


def _known_device() -> bool:
    return devices.is_known(login_email())


ACCOUNT_MESSAGE = (
    "Too many failed logins for this account from new browsers. Log in from a browser "
    "you have used with Moonly before, or wait an hour and try again."
)

login = policy.login_limits(
    email=login_email,
    failed=_failed,
    known_client=_known_device,
    account_message=ACCOUNT_MESSAGE,
)
signup = policy.signup_per_address
# Pages that ask for the password again (not logins: counted apart).
per_address = limiter.limit(setting("RATELIMIT_LOGIN"), methods=["POST"])
