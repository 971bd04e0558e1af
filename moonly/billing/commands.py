"""`flask stripe …`: set up the catalog, retry customers, run the offline sandbox."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import (
    account_deletion,
    catalog,
    customers,
    local_webhooks,
    portal,
    stripe_api,
)

stripe_cli = AppGroup(
    "stripe", help="Stripe catalog, customers and the offline sandbox."
)


def _where() -> str:
    return (
        "the offline sandbox"
        if stripe_api.is_sandbox()
        else "Stripe (STRIPE_SECRET_KEY)"
    )


@stripe_cli.command("bootstrap")
def bootstrap_command() -> None:
    """Create the plans, prices and new-user coupon where missing (safe to re-run)."""
    click.echo(f"Catalog in {_where()}:")
    try:
        lines = catalog.bootstrap()
        lines.append(portal.ensure_configuration())
    except stripe_api.StripeError as error:
        raise click.ClickException(
            f"Stripe refused: {error.user_message or error}"
        ) from None
    if stripe_api.is_sandbox():
        try:
            lines.append(
                local_webhooks.ensure_endpoint(local_webhooks.configured_url())
            )
        except stripe_api.StripeError as error:
            raise click.ClickException(
                f"Stripe refused: {error.user_message or error}"
            ) from None
    for line in lines:
        click.echo("  " + line)


@stripe_cli.command("sync-customers")
def sync_customers_command() -> None:
    """Create the Stripe customers that earlier attempts could not."""
    report = customers.sync_customers()
    click.echo(f"{report.created} customer(s) created, {report.failed} still failing.")
    if report.failed:
        raise SystemExit(1)


@stripe_cli.command("finish-deletions")
def finish_deletions_command() -> None:
    """Delete the Stripe customers of deleted accounts that Stripe could not delete."""
    report = account_deletion.finish_pending_deletions()
    click.echo(f"{report.done} deletion(s) finished, {report.pending} still pending.")
    if report.pending:
        raise SystemExit(1)


def _require_sandbox() -> None:
    if not stripe_api.is_sandbox():
        raise click.ClickException("This command only works with the offline sandbox.")


@stripe_cli.command("deliver-events")
def deliver_events_command() -> None:
    """Offline: send the in-process sandbox's due webhook events now."""
    sandbox = stripe_api.in_process_sandbox()
    if sandbox is None:
        raise click.ClickException(
            "Only the in-process sandbox delivers from here; a sandbox served over "
            "HTTP delivers events itself."
        )
    report = sandbox.deliver_due()
    click.echo(f"{report.delivered} delivered, {report.failed} failed (retried later).")


@stripe_cli.command("sandbox-reset")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def sandbox_reset_command(yes: bool) -> None:
    """Offline: forget every object and event in the sandbox."""
    _require_sandbox()
    if not yes:
        click.confirm(
            "Delete every object and event in the offline Stripe sandbox?", abort=True
        )
    stripe_api.reset_sandbox()
    local_webhooks.forget()
    click.echo("Sandbox emptied. Run `flask stripe bootstrap` to recreate the catalog.")


@stripe_cli.command("advance")
@click.argument("subscription_id")
@click.option(
    "--periods", default=1, show_default=True, help="How many periods to pass."
)
def advance_command(subscription_id: str, periods: int) -> None:
    """Offline: move a subscription to its next period (renewal invoice and charge)."""
    _require_sandbox()
    for _ in range(periods):
        try:
            result = stripe_api.advance_subscription(subscription_id)
        except stripe_api.StripeError as error:
            raise click.ClickException(error.user_message or str(error)) from None
        if result.get("object") == "invoice":
            discounts = result.get("total_discount_amounts") or []
            click.echo(
                f"invoice {result['id']}: {result['status']}, total {result['total']} "
                f"{result['currency']}, discount "
                f"{sum(d['amount'] for d in discounts)}"
            )
        else:
            click.echo(f"subscription {result['id']}: {result['status']}")
            break
