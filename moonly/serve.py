"""`flask serve`: what `make run` does, in one process: migrate, bootstrap, serve.

Each `flask` command imports the whole app (seconds on a loaded machine, more where
PYTHONDONTWRITEBYTECODE makes every process compile its imports); running the three
steps as one command pays for that once. Each step is the very command it replaces.
"""

from __future__ import annotations

import logging

import click
from flask.cli import ScriptInfo, run_command
from werkzeug.serving import is_running_from_reloader

from .billing.commands import bootstrap_command


def _migrate(ctx: click.Context) -> None:
    """`flask db upgrade`, keeping this process's logging as it was (Alembic's
    env.py configures logging for a process of its own)."""
    from flask_migrate import upgrade  # what `flask db upgrade` calls

    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    try:
        with ctx.ensure_object(ScriptInfo).load_app().app_context():
            upgrade()
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


@click.command("serve")
@click.option("--host", "-h", default="127.0.0.1", help="The interface to bind to.")
@click.option("--port", "-p", default=5000, type=int, help="The port to bind to.")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int) -> None:
    """Migrate the database, bootstrap the Stripe catalog, then run the development
    server (`flask db upgrade`, `flask stripe bootstrap`, `flask run`)."""
    if not is_running_from_reloader():  # the reloader's child: the parent prepared
        _migrate(ctx)
        ctx.invoke(bootstrap_command)
        click.echo(f"The demo console: http://{host}:{port}/demo/")
    ctx.invoke(run_command, host=host, port=port)
