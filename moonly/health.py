"""Probes for the platform: /healthz (the process answers) and /readyz (it can serve).

Both are cheap, unauthenticated, never cached, and exempt from the allowed-host check
(platform probes call the instance by its internal address). They reveal nothing but
which check failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)

PATHS = ("/healthz", "/readyz")

# A check returns None when all is well, else a short problem for the probe's answer.
Check = Callable[[], str | None]


def database() -> str | None:
    """The database answers a query."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return f"database: {type(error).__name__}"
    return None


def cello_outbox() -> str | None:
    """No Cello event waits far past its next attempt (no deliverer is running)."""
    from .cello.models import CelloEvent

    overdue = time.time() - current_app.config["READYZ_BACKLOG_MINUTES"] * 60
    oldest = db.session.scalar(
        select(func.min(CelloEvent.next_attempt_at)).where(
            CelloEvent.status == "pending"
        )
    )
    if oldest is not None and oldest < overdue:
        minutes = round((time.time() - oldest) / 60)
        return f"cello outbox: an event is {minutes} minutes overdue"
    return None


def stripe_sandbox_deliveries() -> str | None:
    """Offline, in-process: the sandbox's webhook deliveries are not stuck (only where
    this process runs the deliverer)."""
    from .billing.stripe_api import in_process_sandbox

    if not current_app.config["STRIPE_SANDBOX_DELIVER"]:
        return None
    sandbox = in_process_sandbox()
    if sandbox is None:
        return None
    waiting, oldest = sandbox.backlog()
    overdue = time.time() - current_app.config["READYZ_BACKLOG_MINUTES"] * 60
    if waiting and oldest is not None and oldest < overdue:
        minutes = round((time.time() - oldest) / 60)
        return (
            f"stripe sandbox: {waiting} webhook deliveries, oldest {minutes} min late"
        )
    return None


# Deliveries that must not be stuck; each is a Check.
DELIVERY_CHECKS: list[Check] = [cello_outbox, stripe_sandbox_deliveries]


def delivery_backlogs() -> list[str]:
    """The problems of every delivery check (empty when nothing is stuck)."""
    return [problem for check in DELIVERY_CHECKS if (problem := check())]


def _answer(problems: list[str]) -> Response:
    status = 503 if problems else 200
    body = {"status": "unavailable" if problems else "ok", "problems": problems}
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is alive (no database, no outside service)."""
    return _answer([])


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """The database answers and no delivery is stuck."""
    problem = database()
    if problem:
        return _answer([problem])
    return _answer(delivery_backlogs())
