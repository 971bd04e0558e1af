"""Invite links: the referral code (Cello's ucc), the referrer's name, the invite
cookie."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, current_app, request
from werkzeug.http import dump_cookie

from .. import caching
from ..redirects import safe_local_path
from ..timeutil import utcnow

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


def clean_name(value: object) -> str | None:
    """Return a display name with control characters dropped, or None if empty.

    A name longer than 60 characters is cut to 60 with an ellipsis, so a reader
    sees it was cut; cleaning a cut name again leaves it as it is.
    """
    if not value or not isinstance(value, str):
        return None
    kept = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C").strip()
    if len(kept) > _MAX_NAME:
        kept = kept[: _MAX_NAME - 1].rstrip() + "\u2026"
    return kept or None


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


# Links anyone can write: keep at most this many, the least recently used going first.
INVITES_CACHED = 1024


@caching.memoize(INVITES_CACHED, key=lambda query, args: query)
def _invite_for_query(query: str, args: Mapping[str, str]) -> Invite | None:
    """The invite of a raw query string: a link shared widely is read once, not on
    every visit."""
    return invite_from_args(args)


def current_invite() -> Invite | None:
    """The invite link in this request's query string, read once per request."""
    environ = request.environ  # request-scoped (an app context can outlive a request)
    if "moonly.invite" in environ:
        return environ["moonly.invite"]  # type: ignore[no-any-return]
    query = environ.get("QUERY_STRING", "")
    invite = _invite_for_query(query, request.args) if query else None
    environ["moonly.invite"] = invite
    return invite


def _encode_visit(invite: Invite, path: str, replaced_ucc: str | None, at: str) -> str:
    visit = {
        "product_id": invite.product_id,
        "referrer_name": invite.referrer_name,
        "path": path[:255],
        "at": at,
    }
    if replaced_ucc:
        visit["replaced_ucc"] = replaced_ucc
    return base64.urlsafe_b64encode(json.dumps(visit).encode()).decode()


@caching.memoize(256)
def _invite_cookie_header(
    name: str,
    invite: Invite,
    path: str,
    replaced_ucc: str | None,
    second: int,
    max_age: int,
    secure: bool,
) -> str:
    """The Set-Cookie value for one visit; the same visit within a second shares it
    (building it is a tenth of the landing page's time)."""
    at = datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds")
    return dump_cookie(
        name,
        f"{invite.ucc}.{_encode_visit(invite, path, replaced_ucc, at)}",
        max_age=max_age,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def remember_invite(response: Response, invite: Invite, path: str) -> None:
    """Keep the ucc in a first-party cookie so signup works when the script is blocked,
    with a note of the visit (when, from whom) for the demo's timeline.

    One plain cookie, `<ucc>.<base64 JSON>`, not the signed session: the landing page
    with an invite stays nearly as cheap as one without. Nothing in it is trusted at
    signup without checks. A later link with another ucc replaces the earlier one, as
    Cello's attribution script does; the note keeps the ucc it replaced.
    """
    config = current_app.config
    earlier = ucc_from_cookie()
    if earlier == invite.ucc:
        return  # a returning visitor: the first visit is the one that counts
    header = _invite_cookie_header(
        config["INVITE_COOKIE_NAME"],
        invite,
        path[:255],
        earlier,
        int(time.time()),
        config["INVITE_COOKIE_MAX_AGE"],
        config["INVITE_COOKIE_SECURE"],
    )
    response.headers.add("Set-Cookie", header)


def _invite_cookie() -> tuple[str, str]:
    raw = request.cookies.get(current_app.config["INVITE_COOKIE_NAME"], "")
    ucc, _, visit = raw.partition(".")  # a ucc never holds a dot
    return ucc, visit


def ucc_from_cookie() -> str | None:
    return clean_ucc(_invite_cookie()[0])


def remembered_invite() -> Invite | None:
    """The invite this browser's cookie keeps from the link it opened: the ucc, and
    the referrer's name when the visit's note holds one."""
    ucc = ucc_from_cookie()
    if ucc is None:
        return None
    visit = visit_for(ucc) or {}
    return Invite(
        ucc=ucc,
        product_id=visit.get("product_id"),
        referrer_name=visit.get("referrer_name"),
    )


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


def _visit_time(value: object) -> datetime | None:
    """The note's time, if it is a real moment within the cookie's lifetime."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        at = datetime.fromisoformat(value)
        at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # "0001-01-01T00:00:00+14:00" overflows
        return None
    now = utcnow()
    oldest = now - timedelta(
        seconds=current_app.config["INVITE_COOKIE_MAX_AGE"] + 86400
    )
    if not oldest <= at <= now + timedelta(minutes=5):
        return None
    return at


def _read_note(raw: str) -> dict[str, Any] | None:
    try:
        note = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return note if isinstance(note, dict) else None


def visit_for(ucc: str | None) -> dict[str, Any] | None:
    """The invite-link visit that brought this ucc, if this browser made it (checked).

    The note comes from the browser, so each field is validated like any input; a note
    that fails (a bad time, a path with control characters) is dropped, never stored.
    """
    cookie_ucc, raw = _invite_cookie()
    if not ucc or cookie_ucc != ucc or not raw or len(raw) > 2048:
        return None
    note = _read_note(raw)
    at = _visit_time(note.get("at")) if note else None
    if note is None or at is None:
        return None
    path = note.get("path")
    local = safe_local_path(path) if isinstance(path, str) else None
    return {
        "ucc": ucc,
        "product_id": clean_name(note.get("product_id")),
        "referrer_name": clean_name(note.get("referrer_name")),
        "path": local if local and len(local) <= 255 else "/",
        "at": at,
        "replaced_ucc": clean_ucc(note.get("replaced_ucc")),
    }
