"""The app's background work: one retry policy for its outboxes, and one runner.

An outbox is a table of work written in the same transaction as the change that causes
it (the Cello events of scenario B). Every outbox follows one policy, `RetryPolicy`: a
deliverer claims due rows before it works on them, so two deliverers never take the
same row; a failure is tried again after an exponential backoff with jitter; a row still
failing after three days is given up.

The `Runner` does one round of every job registered with it, at once when nudged and
every few seconds otherwise. Where it runs (README, Deployment): in development in a
thread of the web process (`CELLO_BACKGROUND_DELIVERY`, on in development only); in
production in the Procfile's `worker`, `flask worker`.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol, cast

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from .extensions import db
from .timeutil import as_utc

log = logging.getLogger(__name__)

EXTENSION = "moonly.background"
INTERVAL = 5.0  # seconds between rounds when nobody nudges


@dataclass(frozen=True)
class RetryPolicy:
    """How every outbox claims, retries and gives up."""

    first_retry: float = 2.0  # seconds
    max_retry: float = 300.0
    give_up_after: float = 3 * 24 * 3600
    claim_seconds: int = 120  # longer than one delivery can take (timeouts included)

    def retry_delay(self, attempts: int) -> float:
        """Exponential backoff with jitter: about 2 s, 4 s, 8 s … capped at 5
        minutes."""
        ceiling = min(self.first_retry * 2.0 ** (attempts - 1), self.max_retry)
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - not security

    def next_attempt(
        self, *, now: int, attempts: int, created_at: datetime, retryable: bool
    ) -> int | None:
        """When to try again after a failed attempt; None: give up."""
        age = now - as_utc(created_at).timestamp()
        if not retryable or age >= self.give_up_after:
            return None
        # Rounded up: `now` is a whole second already past, so rounding down (or to
        # the nearest) could make a retry due a moment after the failure.
        return now + math.ceil(self.retry_delay(attempts))


POLICY = RetryPolicy()


class OutboxRow(Protocol):
    """The columns an outbox table has for the policy (as a mapped class has them)."""

    id: ClassVar[InstrumentedAttribute[int]]
    next_attempt_at: ClassVar[InstrumentedAttribute[int]]
    locked_until: ClassVar[InstrumentedAttribute[int | None]]


def claim(
    table: type[OutboxRow],
    ready: ColumnElement[bool],
    now: int,
    limit: int,
    policy: RetryPolicy = POLICY,
) -> list[int]:
    """Take up to `limit` due rows (`ready`, next attempt reached, not claimed) for
    `policy.claim_seconds`; return their ids. Another deliverer skips them (row locks
    on PostgreSQL) or loses the conditional update that takes them (everywhere)."""
    free = or_(table.locked_until.is_(None), table.locked_until < now)
    due = (
        select(table.id)
        .where(ready, table.next_attempt_at <= now, free)
        .order_by(table.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = []
    for row_id in db.session.scalars(due).all():
        result = db.session.execute(
            update(table)
            .where(table.id == row_id, free)
            .values(locked_until=now + policy.claim_seconds)
        )
        if cast("CursorResult[Any]", result).rowcount == 1:
            claimed.append(row_id)
    db.session.commit()
    return claimed


class Outcome(Protocol):
    """What one round of a job did: printed by the worker when it did something."""

    @property
    def busy(self) -> bool: ...


# One round of due work, inside an app context; returns what it did.
Job = Callable[[], Outcome]


class Runner:
    """Runs every job in rounds: at once when nudged, else every `interval` seconds,
    in a thread of its own (`start`) or in the calling one (`run_forever`)."""

    def __init__(
        self, app: Flask, jobs: Mapping[str, Job], interval: float = INTERVAL
    ) -> None:
        self.app = app
        self.jobs = dict(jobs)
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_round(self) -> dict[str, Outcome]:
        """One round of every job, each in an app context of its own; a job that
        fails is logged and runs again next round, and the others still run."""
        outcomes: dict[str, Outcome] = {}
        for name, job in self.jobs.items():
            with self.app.app_context():
                try:
                    outcomes[name] = job()
                except Exception:  # a database or network hiccup: keep going
                    log.exception("Background job %r failed; retrying.", name)
                finally:
                    db.session.remove()
        return outcomes

    def run_forever(self, report: Callable[[str, Outcome], None] | None = None) -> None:
        """Run rounds until `stop`; hand each busy job's outcome to `report`."""
        while not self._stop.is_set():
            self._wake.clear()
            for name, outcome in self.run_round().items():
                if report is not None and outcome.busy:
                    report(name, outcome)
            self._wake.wait(self.interval)

    def start(self) -> None:
        """Run in a daemon thread of this process (once; later calls do nothing)."""
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(
                    target=self.run_forever, name="moonly-background", daemon=True
                )
                thread.start()
                self._thread = thread

    def nudge(self) -> None:
        """Start the next round now instead of at the end of the interval."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def install(app: Flask, jobs: Mapping[str, Job], *, thread: bool) -> Runner:
    """Give the app its runner and `flask worker`; with `thread`, the runner starts in
    this process's first request (serving processes only: never in a CLI command)."""
    runner = Runner(app, jobs)
    app.extensions[EXTENSION] = runner
    app.cli.add_command(worker_command)
    if thread:
        app.before_request(runner.start)
    return runner


def runner() -> Runner:
    """The current app's runner."""
    found: Runner = current_app.extensions[EXTENSION]
    return found


def nudge() -> None:
    """Ask this process's runner thread, if it has one, to run a round now."""
    found: Runner | None = current_app.extensions.get(EXTENSION)
    if found is not None and found.running:
        found.nudge()


def run_worker(interval: float, once: bool = False) -> None:
    """What `flask worker` does: rounds forever (or one), a line per busy job."""
    app_runner = runner()
    if once:
        outcomes = app_runner.run_round()
        for name, outcome in outcomes.items():
            click.echo(f"{name}: {outcome}")
        if len(outcomes) < len(app_runner.jobs):
            raise SystemExit(1)  # a job failed (logged): let cron say so
        return
    app_runner.interval = interval
    click.echo(
        f"Background worker: {', '.join(app_runner.jobs)}, every {interval:g} s."
    )
    app_runner.run_forever(lambda name, outcome: click.echo(f"{name}: {outcome}"))


@click.command("worker")
@click.option(
    "--interval",
    default=INTERVAL,
    show_default=True,
    help="Seconds between rounds.",
)
@click.option("--once", is_flag=True, help="Run one round, then exit (for cron).")
@with_appcontext
def worker_command(interval: float, once: bool) -> None:
    """Run the app's background jobs (the Cello outbox): the Procfile's worker."""
    run_worker(interval, once)
