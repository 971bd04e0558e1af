"""Public identifiers: a short prefix and random base62 characters, like Stripe's."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def public_id(prefix: str, length: int = 16) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))
