"""What the pages a customer visits share: rendering, and a transaction per request.

`/pay/<cs_…>` is hosted Checkout (checkout_page.py), `/portal/<bps_…>` the customer
portal (portal_page.py) and `/3ds/<pi_…|seti_…>` the 3-D Secure page
(three_d_secure.py); server.py routes to them. Links and form actions are built from
the request's `SCRIPT_NAME`, so the pages work as well when another app mounts the
sandbox under a prefix of its own (werkzeug's DispatcherMiddleware). Jinja escapes
everything shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.wrappers import Request, Response

from .shapes import Data
from .store import Context


class Site(Protocol):
    """What a page needs of the sandbox that serves it (a `Sandbox` is one)."""

    engine: Engine
    # Where browsers reach the sandbox; None: the address each request came to.
    public_url: str | None


PREFIXES = ("/pay/", "/portal/", "/3ds/")
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}
# The test cards a visitor can choose from, in the order shown; the first is chosen.
# (test id, label, outcome, badge tone)
CARD_CHOICES = (
    ("pm_card_visa", "Visa ending in 4242", "Succeeds", "good"),
    ("pm_card_mastercard", "Mastercard ending in 4444", "Succeeds", "good"),
    ("pm_card_chargeDeclined", "Visa ending in 0002", "Declined", "bad"),
    (
        "pm_card_chargeDeclinedInsufficientFunds",
        "Visa ending in 9995",
        "Insufficient funds",
        "bad",
    ),
    ("pm_card_authenticationRequired", "Visa ending in 3184", "3-D Secure", ""),
)


def money(cents: int, currency: str) -> str:
    """`$9.60`, `-$2.40`: an amount as a price tag shows it."""
    sign = "-" if cents < 0 else ""
    symbol = SYMBOLS.get(currency.lower(), currency.upper() + " ")
    return f"{sign}{symbol}{abs(cents) / 100:,.2f}"


def day(ts: int | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).strftime("%-d %B %Y")


def per(price: Data) -> str:
    """`month`, `3 months`: a recurring price's period."""
    recurring = price["recurring"]
    count = recurring["interval_count"]
    interval = recurring["interval"]
    return interval if count == 1 else f"{count} {interval}s"


_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(money=money, day=day, per=per)


def render(name: str, status: int = 200, **context: Any) -> Response:
    html = _ENV.get_template(name).render(cards=CARD_CHOICES, **context)
    response = Response(html, status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action *; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return response


def notice(title: str, message: str, status: int, link: str | None = None) -> Response:
    return render("notice.html", status, title=title, message=message, link=link)


def public_url(site: Site, request: Request) -> str:
    return site.public_url or (request.host_url.rstrip("/") + request.script_root)


@contextmanager
def transaction(site: Site, request: Request) -> Iterator[Context]:
    """A context for one page request, committed unless it raised."""
    with Session(site.engine) as session:
        ctx = Context(session, None, None, public_url=public_url(site, request))
        try:
            yield ctx
        except BaseException:
            session.rollback()
            raise
        session.commit()
