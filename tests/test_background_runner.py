"""The background runner and its one outbox policy: claims, backoff, giving up, and
where the runner runs (a thread of the web process only where configured)."""

import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from moonly import background
from moonly.accounts.models import User
from moonly.background import RetryPolicy, Runner
from moonly.cello import outbox
from moonly.cello.models import CelloEvent
from moonly.config import load_settings
from moonly.extensions import db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def scenario_b(make_app, cello):
    return make_app(
        MOONLY_REFERRAL_FLOW="customer_at_purchase",
        CELLO_ACCESS_KEY_ID=cello.key_id,
        CELLO_SECRET_ACCESS_KEY=cello.secret,
        CELLO_API_BASE=cello.base,
        CELLO_API_TIMEOUT=2,
    )


def queue_events(app, count: int) -> None:
    with app.app_context():
        for n in range(count):
            user = User(
                email=f"q{n}@example.com", name=f"Q {n}", password_hash="x", ucc=f"q{n}"
            )
            db.session.add(user)
            db.session.flush()
            outbox.queue_signup(user)
        db.session.commit()


def statuses(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(CelloEvent.status)))


# The policy: backoff and giving up.


def test_backoff_doubles_from_the_first_retry_with_jitter_up_to_the_cap():
    policy = RetryPolicy(first_retry=10.0, max_retry=40.0)
    for attempts, low, high in [(1, 5, 10), (2, 10, 20), (3, 20, 40), (9, 20, 40)]:
        delays = [policy.retry_delay(attempts) for _ in range(100)]
        assert all(low <= d <= high for d in delays), (attempts, min(delays))
        assert len(set(delays)) > 1  # jitter: deliverers do not retry in step


def test_next_attempt_is_scheduled_until_the_give_up_window_ends():
    policy = RetryPolicy(first_retry=2.0, give_up_after=3600)
    now = int(time.time())
    young = datetime.fromtimestamp(now - 3599, UTC)
    old = datetime.fromtimestamp(now - 3600, UTC)
    at = policy.next_attempt(now=now, attempts=1, created_at=young, retryable=True)
    assert at is not None and now + 1 <= at <= now + 2
    assert (
        policy.next_attempt(now=now, attempts=1, created_at=old, retryable=True) is None
    )
    assert (
        policy.next_attempt(now=now, attempts=1, created_at=young, retryable=False)
        is None
    )
    # SQLite hands back naive datetimes (UTC): the same answer.
    naive = young.replace(tzinfo=None)
    assert policy.next_attempt(now=now, attempts=3, created_at=naive, retryable=True)


def test_the_cello_outbox_gives_up_a_failing_event_after_the_policy_window(
    scenario_b, cello
):
    queue_events(scenario_b, 1)
    cello.event_outcomes.extend([503, 503])
    with scenario_b.app_context():
        assert outbox.deliver_due().retrying == 1
        event = db.session.scalar(select(CelloEvent))
        assert event.status == "pending" and event.next_attempt_at > time.time()
        window = background.POLICY.give_up_after
        db.session.execute(
            update(CelloEvent).values(
                next_attempt_at=0,
                created_at=datetime.now(UTC) - timedelta(seconds=window + 1),
            )
        )
        db.session.commit()
        assert outbox.deliver_due().failed == 1
    assert statuses(scenario_b) == ["failed"]
    assert len(cello.accepted) == 0


# Claims.


def test_a_claim_holds_until_it_expires(scenario_b):
    queue_events(scenario_b, 3)
    policy = background.POLICY
    now = int(time.time())
    with scenario_b.app_context():
        first = background.claim(CelloEvent, outbox.READY, now, 10)
        assert len(first) == 3
        assert background.claim(CelloEvent, outbox.READY, now, 10) == []
        later = now + policy.claim_seconds
        assert background.claim(CelloEvent, outbox.READY, later, 10) == []
        # A deliverer that died holding them: once the claim expires, they are due.
        assert background.claim(CelloEvent, outbox.READY, later + 1, 10) == first


def test_a_claim_takes_only_due_ready_rows(scenario_b):
    queue_events(scenario_b, 3)
    now = int(time.time())
    with scenario_b.app_context():
        ids = list(db.session.scalars(select(CelloEvent.id).order_by(CelloEvent.id)))
        db.session.execute(
            update(CelloEvent)
            .where(CelloEvent.id == ids[0])
            .values(next_attempt_at=now + 60)
        )
        db.session.execute(
            update(CelloEvent).where(CelloEvent.id == ids[1]).values(status="sent")
        )
        db.session.commit()
        assert background.claim(CelloEvent, outbox.READY, now, 10) == [ids[2]]
        assert background.claim(CelloEvent, outbox.READY, now + 61, 10) == [ids[0]]


@dataclass
class Counted:
    sent: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.sent)


def test_two_runner_threads_send_each_event_once(scenario_b, cello):
    """Two runners, each in its own thread, taking two events per round."""
    queue_events(scenario_b, 30)
    cello.delay = 0.02  # keep both busy at the same time
    sent = {"a": 0, "b": 0}
    lock = threading.Lock()

    def job(name):
        def deliver_two():
            report = outbox.deliver_due(limit=2)
            with lock:
                sent[name] += report.sent
            return report

        return deliver_two

    runners = [Runner(scenario_b, {"cello": job(n)}, interval=0.01) for n in sent]
    for runner in runners:
        runner.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and statuses(scenario_b).count("sent") < 30:
            time.sleep(0.05)
    finally:
        for runner in runners:
            runner.stop()
    keys = [a["key"] for a in cello.accepted]
    assert len(keys) == 30 and len(set(keys)) == 30
    assert sent["a"] + sent["b"] == 30
    assert sent["a"] and sent["b"], sent  # both really delivered
    assert set(statuses(scenario_b)) == {"sent"}


DELIVERER = """
import sys, time
from pathlib import Path
from moonly import create_app
from moonly.cello import outbox
from moonly.cello.models import CelloEvent
from moonly.extensions import db
from sqlalchemy import func, select

database, cello_base, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
app = create_app({"SQLALCHEMY_DATABASE_URI": database,
    "MOONLY_REFERRAL_FLOW": "customer_at_purchase", "CELLO_ACCESS_KEY_ID": "key_test",
    "CELLO_SECRET_ACCESS_KEY": "secret_test", "CELLO_API_BASE": cello_base},
    env="testing")
sent = 0
with app.app_context():
    outbox.deliver_due(limit=0)  # connect to the database before the start
    (folder / f"ready-{sys.argv[4]}").touch()
    while not (folder / "go").exists():
        time.sleep(0.005)
    while True:  # as a runner does: rounds until nothing is left to send
        report = outbox.deliver_due(limit=2)
        sent += report.sent
        if not report.sent:  # none due, or the other process won the claims
            pending = CelloEvent.status == "pending"
            left = db.session.scalar(select(func.count()).where(pending))
            db.session.commit()
            if not left:
                break
            time.sleep(0.01)
print(sent)
"""


def test_two_deliverer_processes_send_each_event_once(
    scenario_b, database_uri, cello, tmp_path
):
    """Two real processes on the same database, started at the same moment."""
    queue_events(scenario_b, 40)
    cello.delay = 0.03
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", DELIVERER, database_uri, cello.base, tmp_path, name],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
            (tmp_path / f"ready-{name}").exists() for name in ("a", "b")
        ):
            assert all(p.poll() is None for p in procs), procs[0].communicate()
            time.sleep(0.02)
        (tmp_path / "go").touch()
        outputs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    sent = [int(out.strip()) for out, _ in outputs]
    keys = [a["key"] for a in cello.accepted]
    assert len(keys) == 40 and len(set(keys)) == 40
    assert sum(sent) == 40
    assert all(sent), sent  # both processes really delivered
    assert set(statuses(scenario_b)) == {"sent"}


# The runner.


def test_a_failing_job_is_logged_and_the_others_still_run(app, caplog):
    def broken():
        raise RuntimeError("database went away")

    runner = Runner(app, {"broken": broken, "fine": lambda: Counted(2)})
    with caplog.at_level(logging.ERROR, logger="moonly.background"):
        outcomes = runner.run_round()
    assert list(outcomes) == ["fine"] and outcomes["fine"].sent == 2
    assert "Background job 'broken' failed" in caplog.text


def test_a_nudge_starts_a_round_at_once(app):
    rounds = []
    runner = Runner(app, {"count": lambda: rounds.append(1) or Counted()}, 60)
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while not rounds and time.monotonic() < deadline:
            time.sleep(0.01)
        assert rounds == [1]  # the first round runs when the runner starts
        runner.nudge()
        deadline = time.monotonic() + 5
        while len(rounds) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(rounds) == 2  # long before the 60 s interval
    finally:
        runner.stop()
    assert not runner.running


def test_worker_once_runs_every_job_and_says_what_it_did(scenario_b, cello):
    queue_events(scenario_b, 2)
    result = scenario_b.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "cello outbox: 2 sent, 0 to retry, 0 failed" in result.output
    assert len(cello.accepted) == 2
    assert not scenario_b.extensions[background.EXTENSION].running


def test_worker_once_fails_when_a_job_fails(app):
    def broken():
        raise RuntimeError("no database")

    app.extensions[background.EXTENSION] = Runner(app, {"broken": broken})
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 1


# Where it runs.


def test_no_runner_thread_in_web_processes_unless_configured(make_app):
    app = make_app()  # the testing settings: like production, no thread
    assert app.test_client().get("/healthz").status_code == 200
    assert not app.extensions[background.EXTENSION].running

    threaded = make_app(CELLO_BACKGROUND_DELIVERY=True)
    assert threaded.test_client().get("/healthz").status_code == 200
    assert threaded.extensions[background.EXTENSION].running


def test_the_runner_thread_is_on_in_development_and_off_in_production(monkeypatch):
    monkeypatch.delenv("CELLO_BACKGROUND_DELIVERY", raising=False)
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setenv("MOONLY_ALLOWED_HOSTS", "moonly.example")
    assert load_settings("development")["CELLO_BACKGROUND_DELIVERY"] is True
    assert load_settings("production")["CELLO_BACKGROUND_DELIVERY"] is False
    monkeypatch.setenv("CELLO_BACKGROUND_DELIVERY", "1")
    assert load_settings("production")["CELLO_BACKGROUND_DELIVERY"] is True


def test_the_procfile_worker_is_the_runner():
    procfile = (ROOT / "Procfile").read_text()
    (worker,) = [line for line in procfile.splitlines() if line.startswith("worker:")]
    assert worker.endswith("flask --app wsgi:app worker")
