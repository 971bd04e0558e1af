"""`flask cello …`: deliver queued events, connect Stripe to Cello, check the set-up."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import AppGroup

from .. import background
from ..billing import stripe_api
from ..billing.catalog import NEW_USER_COUPON_ID
from . import api, component, outbox
from .stripe_webhook import CELLO_EVENTS

cello_cli = AppGroup("cello", help="Cello: event delivery and the Stripe connection.")


@cello_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep going: the same as `flask worker`.")
@click.option(
    "--interval", default=5.0, show_default=True, help="Seconds between rounds."
)
def deliver_command(loop: bool, interval: float) -> None:
    """Send the Cello events that are due (once, or forever with --loop)."""
    if loop:
        background.run_worker(interval)
        return
    click.echo(str(outbox.deliver_due()))


def _is_cello(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "cello.so" or host.endswith(".cello.so")


@cello_cli.command("connect-stripe")
@click.option(
    "--endpoint-url", required=True, help="The webhook URL from Cello's portal."
)
def connect_stripe_command(endpoint_url: str) -> None:
    """Create or update the Stripe webhook endpoint that sends Cello its ten events."""
    if not endpoint_url.startswith("https://"):
        raise click.BadParameter(
            "must be the https:// URL from Cello's portal", param_hint="--endpoint-url"
        )
    events = list(CELLO_EVENTS)
    try:
        existing = [e for e in stripe_api.webhook_endpoints() if e.url == endpoint_url]
        if existing:
            endpoint = stripe_api.update_webhook_endpoint(existing[0].id, events)
            click.echo(f"Updated {endpoint.id}: {len(events)} events, enabled.")
            click.echo(
                "Its signing secret is unchanged; Stripe shows it in the dashboard "
                "(Developers → Webhooks → the endpoint → Reveal)."
            )
            return
        endpoint = stripe_api.create_webhook_endpoint(endpoint_url, events)
    except stripe_api.StripeError as error:
        raise click.ClickException(
            f"Stripe refused: {error.user_message or error}"
        ) from None
    click.echo(f"Created {endpoint.id} → {endpoint_url} with {len(events)} events.")
    click.echo(f"Signing secret (shown once): {endpoint.secret}")
    click.echo(
        "Next: in Cello's portal, open Webhooks → Add webhook secret, paste it, save."
    )


@dataclass
class Check:
    ok: bool
    line: str


def _endpoint_checks(endpoint_url: str | None) -> list[Check]:
    endpoints = stripe_api.webhook_endpoints()
    matches = [
        e
        for e in endpoints
        if (e.url == endpoint_url if endpoint_url else _is_cello(e.url))
    ]
    enabled = [e for e in matches if e.status == "enabled"]
    if not enabled:
        where = endpoint_url or "a cello.so URL"
        return [Check(False, f"no enabled Stripe webhook endpoint to {where}")]
    checks = [
        Check(
            True, f"enabled Stripe webhook endpoint {enabled[0].id} → {enabled[0].url}"
        )
    ]
    events = set(enabled[0].enabled_events or [])
    missing = sorted(set(CELLO_EVENTS) - events)
    extra = sorted(events - set(CELLO_EVENTS))
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            parts.append("extra " + ", ".join(extra))
        checks.append(
            Check(False, "its events are not the ten Cello needs: " + "; ".join(parts))
        )
    else:
        checks.append(Check(True, "its events are exactly the ten Cello needs"))
    return checks


def _coupon_check() -> Check:
    coupon = stripe_api.retrieve_coupon(NEW_USER_COUPON_ID)
    if coupon is None or not coupon.valid:
        return Check(
            False,
            f"coupon {NEW_USER_COUPON_ID} is missing (run `flask stripe bootstrap`)",
        )
    return Check(
        True,
        f"coupon {NEW_USER_COUPON_ID}: {coupon.percent_off:g} % off, {coupon.duration}"
        + (
            f", {coupon.duration_in_months} months" if coupon.duration_in_months else ""
        ),
    )


def _settings_checks() -> list[Check]:
    config = current_app.config
    flow = config["MOONLY_REFERRAL_FLOW"]
    checks = []
    if flow == "customer_at_purchase" and not api.configured():
        checks.append(
            Check(
                False,
                "scenario B (customer_at_purchase) needs CELLO_ACCESS_KEY_ID and "
                "CELLO_SECRET_ACCESS_KEY to send signup events",
            )
        )
    else:
        checks.append(Check(True, f"scenario settings consistent ({flow})"))
    if component.enabled():
        checks.append(
            Check(
                True,
                "Referral component: CELLO_PRODUCT_ID and CELLO_PRODUCT_SECRET set",
            )
        )
    else:
        absent = [
            n for n in ("CELLO_PRODUCT_ID", "CELLO_PRODUCT_SECRET") if not config.get(n)
        ]
        checks.append(Check(False, f"Referral component: {', '.join(absent)} not set"))
    return checks


@cello_cli.command("check")
@click.option(
    "--endpoint-url",
    default=None,
    help="Cello's webhook URL (default: any cello.so URL).",
)
def check_command(endpoint_url: str | None) -> None:
    """Check the Stripe–Cello set-up; exit non-zero when anything fails."""
    try:
        checks = _endpoint_checks(endpoint_url) + [_coupon_check()]
    except stripe_api.StripeError as error:
        checks = [
            Check(False, f"Stripe could not be read: {error.user_message or error}")
        ]
    checks += _settings_checks()
    for check in checks:
        click.echo(("PASS  " if check.ok else "FAIL  ") + check.line)
    failed = sum(not c.ok for c in checks)
    click.echo(f"{len(checks) - failed} checks passed, {failed} failed")
    if failed:
        raise SystemExit(1)
