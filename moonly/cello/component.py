"""The Referral component: its script, its boot settings and the user's token."""

from __future__ import annotations

import time
from typing import Any

import jwt
from flask import current_app

from ..accounts.models import User
from .hosts import assets_host


def enabled() -> bool:
    config = current_app.config
    return bool(config.get("CELLO_PRODUCT_ID") and config.get("CELLO_PRODUCT_SECRET"))


def user_token(user: User) -> str:
    """A JWT for `cello.boot`: HS512 with the product secret, as Cello's docs
    require."""
    config = current_app.config
    claims = {
        "productId": config["CELLO_PRODUCT_ID"],
        "productUserId": user.public_id,  # the same id Stripe's metadata carries
        "iat": int(time.time()),
    }
    return jwt.encode(claims, config["CELLO_PRODUCT_SECRET"], algorithm="HS512")


def boot_settings(user: User) -> dict[str, Any]:
    """What the page's script passes to `cello.boot`, except the token it fetches."""
    first, _, last = user.name.partition(" ")
    return {
        "script": f"{assets_host()}/app/latest/cello.js",
        "product_id": current_app.config["CELLO_PRODUCT_ID"],
        "language": current_app.config["CELLO_LANGUAGE"],
        "first_name": first,
        "last_name": last,
        "email": user.email,
    }
