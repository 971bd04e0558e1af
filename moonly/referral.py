"""Invite links: the referral code (Cello's ucc), the referrer's name, the invite cookie."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Response, current_app, request, session

# Cello's codes are 11 alphanumerics; its own checks use `ucc=test`. Accept any plain
# token, and nothing that could carry markup, separators or cookie syntax.
_UCC = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_NAME = 60


@dataclass(frozen=True)
class Invite:
    ucc: str
    product_id: str | None
    referrer_name: str | None


def clean_ucc(value: object) -> str | None:
    """Return the ucc if it is a plain token, else None."""
    if isinstance(value, str) and _UCC.fullmatch(value):
        return value
    return None


def clean_name(value: str | None) -> str | None:
    """Return a display name with control characters dropped, or None if empty."""
    if not value:
        return None
    kept = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C").strip()
    return kept[:_MAX_NAME] or None


def decode_cello_name(value: str | None) -> str | None:
    """Decode the base64 `celloN` parameter of real Cello links."""
    if not value or len(value) > 4 * _MAX_NAME:
        return None
    padded = value + "=" * (-len(value) % 4)
    try:
        raw = base64.b64decode(
            padded.replace("-", "+").replace("_", "/"), validate=True
        )
        return clean_name(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def invite_from_args(args: Mapping[str, str]) -> Invite | None:
    """Read an invite link's query parameters; None unless the ucc is valid."""
    ucc = clean_ucc(args.get("ucc"))
    if ucc is None:
        return None
    name = clean_name(args.get("referrerName")) or decode_cello_name(args.get("celloN"))
    product_id = clean_name(args.get("productId"))
    return Invite(ucc=ucc, product_id=product_id, referrer_name=name)


def remember_invite(response: Response, invite: Invite) -> None:
    """Keep the ucc in a first-party cookie so signup works when the script is blocked."""
    config = current_app.config
    response.set_cookie(
        config["INVITE_COOKIE_NAME"],
        invite.ucc,
        max_age=config["INVITE_COOKIE_MAX_AGE"],
        httponly=True,
        samesite="Lax",
        secure=config["INVITE_COOKIE_SECURE"],
    )


def ucc_from_cookie() -> str | None:
    return clean_ucc(request.cookies.get(current_app.config["INVITE_COOKIE_NAME"]))


def resolve_ucc(form_value: str | None) -> tuple[str | None, str | None]:
    """Pick the signup's ucc: the form's (read by Cello's script), else the cookie's.

    Returns the ucc and where it came from: "form", "cookie", or None.
    """
    ucc = clean_ucc((form_value or "").strip())
    if ucc:
        return ucc, "form"
    ucc = ucc_from_cookie()
    if ucc:
        return ucc, "cookie"
    return None, None


def record_visit(invite: Invite, path: str) -> None:
    """Note the visit once per browser session, for the demo's timeline."""
    from .extensions import db
    from .landing.models import InviteVisit

    if session.get("invite_visit_ucc") == invite.ucc:
        return
    visit = InviteVisit(
        ucc=invite.ucc,
        product_id=(invite.product_id or "")[:64] or None,
        referrer_name=invite.referrer_name,
        path=path[:255],
    )
    db.session.add(visit)
    db.session.commit()
    session["invite_visit_ucc"] = invite.ucc
    session["invite_visit_id"] = visit.id


def visit_id_for(ucc: str | None) -> int | None:
    """The recorded visit that brought this ucc, if this browser made it."""
    if ucc and session.get("invite_visit_ucc") == ucc:
        return session.get("invite_visit_id")
    return None
