"""`flask stripe reprocess-failed`: run the stored events whose processing failed."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .receiver import reprocess_failed


@click.command("reprocess-failed")
@with_appcontext
def reprocess_failed_command() -> None:
    """Re-run stored webhook events whose processing failed."""
    done, failed = reprocess_failed()
    click.echo(f"{done} event(s) processed, {failed} still failing.")
    if failed:
        raise SystemExit(1)
