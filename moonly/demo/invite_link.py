"""The console's invite-link builder: the link a referrer shares, built on the
server."""

from __future__ import annotations

import base64
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app, url_for

from ..referral.invites import clean_name, clean_ucc

ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class InviteLink:
    referrer_name: str
    ucc: str
    product_id: str
    path: str | None  # None while the ucc is not valid
    url: str | None
    error: str | None


def new_ucc() -> str:
    """An 11-character code like Cello's."""
    return "".join(secrets.choice(ALPHABET) for _ in range(11))


def build(args: Mapping[str, str], *, generate: bool = False) -> InviteLink:
    """The link for the builder's fields; a fresh ucc when asked or when empty."""
    name = (args.get("referrerName") if "referrerName" in args else "Alice") or ""
    product_id = args.get("productId") or current_app.config.get("CELLO_PRODUCT_ID")
    product_id = product_id or "moonly.example"
    ucc = (args.get("ucc") or "").strip()
    if generate and (not ucc or "generate" in args):
        ucc = new_ucc()
    name = clean_name(name) or ""
    product = clean_name(product_id) or ""
    if clean_ucc(ucc) is None:
        error = (
            "Use 1–64 letters, digits, _ or - only: the storefront ignores any other "
            "code."
            if ucc
            else "Enter a referral code, or press Generate."
        )
        return InviteLink(name, ucc[:64], product, None, None, error)
    query: dict[str, str] = {"productId": product} if product else {}
    query["ucc"] = ucc
    if name:
        query["referrerName"] = name
        query["celloN"] = base64.b64encode(name.encode()).decode()
    path = url_for("landing.index", **query)  # type: ignore[arg-type]
    url = url_for("landing.index", _external=True, **query)
    return InviteLink(name, ucc, product, path, url, None)
