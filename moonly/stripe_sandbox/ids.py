"""Object ids as Stripe makes them: a prefix, an underscore, random base62 letters."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 16) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))
