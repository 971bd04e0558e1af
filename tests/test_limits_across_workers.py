"""A rate limit holds across two gunicorn workers when they count in Redis.

Bounded: two short-lived servers on loopback, 12 login POSTs each, about 10 seconds."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from helpers import csrf_token
from test_rate_limits import REDIS_URL, redis_db  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 5
ATTEMPTS = 12


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(database_uri: str, storage: str, log: Path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STRIPE_", "CELLO_", "MOONLY_", "RATELIMIT_", "FLASK_"))
    }
    env.update(
        MOONLY_ENV="development",
        SECRET_KEY="workers-test-secret",
        DATABASE_URL=database_uri,
        HOST="127.0.0.1",
        PORT=str(port),
        STRIPE_SANDBOX_DELIVER="0",
        CELLO_BACKGROUND_DELIVERY="0",
        MOONLY_DEMO="0",
        FLASK_SKIP_DOTENV="1",
        RATELIMIT_ENABLED="1",
        RATELIMIT_STORAGE_URI=storage,
        RATELIMIT_LOGIN=f"{LIMIT} per minute",
    )
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [
            str(gunicorn),
            "wsgi:app",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "pid=%(p)s %(m)s %(U)s %(s)s",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return process, base
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    process.wait(timeout=30)
    raise AssertionError("gunicorn did not start within 30 s")


def attempt(base: str, n: int) -> int:
    with requests.Session() as session:
        token = csrf_token(session.get(base + "/login", timeout=10).text)
        return session.post(
            base + "/login",
            data={
                "csrf_token": token,
                "email": f"nobody{n}@example.com",
                "password": "not the password",
            },
            timeout=30,
        ).status_code


def run(database_uri: str, storage: str, log: Path) -> tuple[list[int], set[str]]:
    process, base = serve(database_uri, storage, log)
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(lambda n: attempt(base, n), range(ATTEMPTS)))
    finally:
        process.terminate()
        process.wait(timeout=30)
    pids = set(re.findall(r"pid=<(\d+)> POST /login", log.read_text()))
    return statuses, pids


@pytest.mark.usefixtures("redis_db")
def test_a_login_limit_holds_across_two_workers_on_redis(database_uri, tmp_path):
    statuses, pids = run(database_uri, REDIS_URL, tmp_path / "redis.log")
    assert len(pids) == 2, "both workers must have served logins for this to mean much"
    assert sorted(statuses) == [400] * LIMIT + [429] * (ATTEMPTS - LIMIT)


def test_in_memory_counters_do_not_hold_across_workers(database_uri, tmp_path):
    """The control: the same run counting in each worker's memory lets more through."""
    for attempt_no in range(3):  # the OS may hand one worker every connection
        statuses, pids = run(
            database_uri, "memory://", tmp_path / f"memory-{attempt_no}.log"
        )
        if len(pids) == 2:
            break
    else:
        pytest.skip("one worker served every login in 3 runs")
    assert statuses.count(400) > LIMIT
