"""The product page, which captures invite links."""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import caching
from ..billing.catalog import PLANS, Offer, new_user_offer
from ..referral.invites import current_invite, remember_invite
from . import bp


@bp.after_app_request
def keep_invite(response: Response) -> Response:
    """Keep a valid invite link's ucc in a cookie, whichever page it lands on."""
    if response.status_code == 200 and request.method == "GET":
        invite = current_invite()
        if invite is not None:
            remember_invite(response, invite, request.path)
    return response


PAGE_CACHE_SIZE = 256
VARY_COOKIE = {"Vary": "Cookie"}
# The referrer's name, whether there is an invite, and the offer.
PageKey = tuple[str | None, bool, Offer | None]


def _plain_visitor() -> bool:
    """No session or remember cookie: nobody is logged in and nothing was flashed.

    Checked on the cookies themselves, so the common case skips loading a user.
    """
    cookies = request.cookies
    config = current_app.config
    if config["SESSION_COOKIE_NAME"] not in cookies and "remember_token" not in cookies:
        return True
    return not current_user.is_authenticated and "_flashes" not in session


@bp.get("/")
def index() -> ResponseReturnValue:
    """Show the product page, with a welcome banner for an invited visitor."""
    invite = current_invite()
    offer = new_user_offer() if invite else None
    # A visitor's page depends only on the referrer's name and the offer, so it is
    # rendered once per pair (bounded: names come from links anyone can write).
    if not _plain_visitor():
        return render_template(
            "landing/index.html", invite=invite, offer=offer, plans=PLANS
        )
    key: PageKey = (invite.referrer_name if invite else None, invite is not None, offer)
    page = caching.memo("landing pages", PAGE_CACHE_SIZE).get(
        key,
        lambda: render_template(
            "landing/index.html", invite=invite, offer=offer, plans=PLANS
        ).encode(),  # kept as bytes: no 25 KB encode per request
    )
    # The page differs for a signed-in visitor; say so to caches.
    return current_app.response_class(page, headers=VARY_COOKIE, mimetype="text/html")


@caching.memoize(None)
def _icon(static_folder: str) -> bytes:
    return (Path(static_folder) / "favicon.svg").read_bytes()


@bp.get("/favicon.ico")
@bp.get("/favicon.svg")  # registered first: the one url_for builds, for <link rel=icon>
def favicon() -> Response:
    """Serve the SVG icon, also where browsers look for one by default.

    From memory, not a file: browsers often drop an icon's request half-way, which
    the development server answers by leaving the file open."""
    response = current_app.response_class(
        _icon(current_app.static_folder or ""), mimetype="image/svg+xml"
    )
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
