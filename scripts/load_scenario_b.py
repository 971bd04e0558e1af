"""`make load`, part 2: 200 signups in scenario B queue 200 Cello events, and the web
processes and a `flask cello deliver --loop` worker, side by side, send each exactly
once to a Cello API on loopback. No Stripe customer is made."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import loopback_cello
from harness import (
    Run,
    app_env,
    connect,
    flask_cmd,
    free_port,
    prepare_database,
    serving,
)
from load_signups import CLIENTS, SIGNUPS, check_signups, print_log_errors, users
from report import Checks
from signups import Signups, signups

DELIVERY_WAIT = 60.0  # seconds after the last signup for every event to be sent
WORKER = ("cello", "deliver", "--loop", "--interval", "1")


@dataclass(frozen=True)
class ScenarioB:
    signups: Signups
    events: int
    by_status: dict[str, int]
    accepted: int
    distinct_keys: int
    lag: float
    customers: int


def scenario_b(run: Run, checks: Checks, url: str) -> ScenarioB:
    print("\n== 2. Signups, scenario B (customer_at_purchase, Cello API stand-in) ==")
    cello, cello_server = loopback_cello.serve()
    cello_base = f"http://127.0.0.1:{cello_server.server_port}"
    print(f"  Cello stand-in on {cello_base}", flush=True)
    try:
        env = app_env(
            url,
            free_port(),
            MOONLY_REFERRAL_FLOW="customer_at_purchase",
            CELLO_API_BASE=cello_base,
            CELLO_ACCESS_KEY_ID=loopback_cello.KEY_ID,
            CELLO_SECRET_ACCESS_KEY=loopback_cello.SECRET,
            CELLO_BACKGROUND_DELIVERY="1",
        )
        prepare_database(run.bin, env)
        worker = run.procs.start("cello-worker", flask_cmd(run.bin, *WORKER), env)
        try:
            with serving(run, "gunicorn-b", env) as (base, _):
                print(f"  `flask {' '.join(WORKER)}` running", flush=True)
                signed = signups(base, "loadb", SIGNUPS, CLIENTS)
                check_signups(checks, "scenario B", signed)
                waited = wait_until_sent(url, signed.ok)
                print(f"  all sent {waited:.1f} s after the last signup answered")
                if worker.poll() is not None:
                    checks.problem(
                        f"the delivery worker exited with {worker.returncode}"
                    )
        finally:
            run.procs.stop(worker)
        print_log_errors(
            run.procs.log_text("gunicorn-b") + run.procs.log_text("cello-worker")
        )
        return check_delivery(checks, run, url, signed, cello)
    finally:
        cello_server.shutdown()


def wait_until_sent(url: str, expected: int) -> float:
    """Wait (DELIVERY_WAIT at most) until `expected` events are queued, none unsent."""
    started = time.monotonic()
    with connect(url) as conn:
        while time.monotonic() - started < DELIVERY_WAIT:
            total, unsent = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE status <> 'sent')"
                " FROM cello_events"
            ).fetchone() or (0, 0)
            if total >= expected and not unsent:
                break
            time.sleep(0.25)
    waited = time.monotonic() - started
    time.sleep(2.0)  # let a would-be double send arrive before counting
    return waited


def check_delivery(
    checks: Checks,
    run: Run,
    url: str,
    signed: Signups,
    cello: loopback_cello.LoopbackCello,
) -> ScenarioB:
    """Each event sent once, under one key, with its own ucc; nothing more arrived."""
    with connect(url) as conn:
        made = users(conn)
        events: list[tuple[Any, ...]] = conn.execute(
            "SELECT key, status, attempts, sent_at, last_error FROM cello_events"
        ).fetchall()
        row = conn.execute(
            "SELECT count(*) FROM stripe_sandbox.sandbox_objects"
            " WHERE object = 'customer'"
        ).fetchone()
        customers = row[0] if row else 0
    by_status = dict(Counter(e[1] for e in events))
    with cello.lock:
        accepted = list(cello.accepted)
    keys = Counter(key for key, _ in accepted)
    uccs = Counter(body["payload"]["ucc"] for _, body in accepted)
    lag = print_delivery(run, signed, events, cello)
    repeated_keys = [k for k, n in keys.items() if n > 1]
    expected_uccs = {form["ucc"] for form in signed.forms}
    checks.check(
        len(made) == SIGNUPS,
        f"{len(made)} users",
        f"scenario B: {len(made)} users, expected {SIGNUPS}",
    )
    checks.check(
        len(events) == SIGNUPS,
        f"{len(events)} cello_events",
        f"scenario B: {len(events)} cello_events, expected {SIGNUPS}",
    )
    checks.check(
        bool(events) and by_status.get("sent", 0) == len(events),
        "every cello_events row is 'sent'",
        f"scenario B: cello_events not all sent within {DELIVERY_WAIT:.0f} s: "
        f"{by_status}; e.g. {[e[4] for e in events if e[1] != 'sent'][:3]}",
    )
    checks.check(
        customers == 0,
        "0 Stripe customers",
        f"scenario B: {customers} Stripe customers, expected 0",
    )
    checks.check(
        len(accepted) == SIGNUPS,
        f"the stand-in accepted exactly {len(accepted)} events",
        f"scenario B: the stand-in accepted {len(accepted)} events, expected {SIGNUPS}",
    )
    checks.check(
        len(keys) == SIGNUPS and not repeated_keys,
        f"{len(keys)} distinct Idempotency-Keys, none repeated",
        f"scenario B: {len(keys)} distinct keys; repeated: {repeated_keys[:5]}",
    )
    checks.check(
        set(uccs) == expected_uccs and max(uccs.values(), default=0) == 1,
        "each ucc accepted exactly once",
        f"scenario B: uccs missing {sorted(expected_uccs - set(uccs))[:5]}, "
        f"repeated {[u for u, n in uccs.items() if n > 1][:5]}",
    )
    checks.check(
        {e[0] for e in events} == set(keys),
        "the accepted keys are exactly the outbox's keys",
        "scenario B: accepted Idempotency-Keys differ from cello_events.key",
    )
    return ScenarioB(
        signed, len(events), by_status, len(accepted), len(keys), lag, customers
    )


def print_delivery(
    run: Run,
    signed: Signups,
    events: list[tuple[Any, ...]],
    cello: loopback_cello.LoopbackCello,
) -> float:
    """Print who sent what, and when; return the delivery lag in seconds."""
    sent_times = [e[3].timestamp() for e in events if e[3] is not None]
    last_signup = max((r.done for r in signed.results), default=time.time())
    lag = (max(sent_times) - last_signup) if sent_times else float("nan")
    worker_log = run.procs.log_text("cello-worker")
    by_worker = sum(int(n) for n in re.findall(r"^(\d+) sent", worker_log, re.M))
    with cello.lock:
        accepted, posts = len(cello.accepted), cello.event_posts
        logins, refreshes = cello.logins, cello.refreshes
    by_status = dict(Counter(e[1] for e in events))
    attempts = dict(Counter(e[2] for e in events))
    print(
        f"  cello_events: {len(events)}, by status {by_status}, attempts {attempts}",
        flush=True,
    )
    print(
        f"  delivery lag (last signup answered → last event sent): {lag:.2f} s; "
        f"stand-in: {accepted} events accepted, {posts} POST /events, "
        f"{logins} logins, {refreshes} refreshes; worker process sent {by_worker}, "
        f"web workers {accepted - by_worker}",
        flush=True,
    )
    return lag
