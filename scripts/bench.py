"""Moonly against a bare Flask app served the same way, written to docs/benchmarks.md.

    make bench           # or: .venv/bin/python scripts/bench.py --bin .venv/bin

Both apps run at once under gunicorn (2 workers × 4 threads) and are measured one at a
time, alternating, so the figures are ratios that hold on a noisy machine. Each
measurement has a warm-up, then runs 3 times; the median is reported.
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import sys
import time
from dataclasses import dataclass

from werkzeug.security import generate_password_hash

import bench_report
import harness
from bench_http import (
    GET_CONNECTIONS,
    HOOK_THREADS,
    Getter,
    Measured,
    customer_events,
    post_all,
    python_get,
    server_cpu,
    wrk,
)
from page_weight import page_weight
from signups import PASSWORD, signups
from traffic import ms

RUNS = 3
GET_RUNS = 5  # the landing page's ratio is the goal: more pairs, on a shared machine
WRK_SECONDS = 10
WARMUP_SECONDS = 3
HOOK_EVENTS = 400  # per run
SIGNUP_CLIENTS = 8
SIGNUP_WARMUP = 16
SIGNUP_PER_RUN = 64  # 16 + 3 × 64 = 208 customers for the webhook events
HASH_RUNS = 20
HARD_TIMEOUT = 420
LANDING = "/?ucc=bench123&productId=moonly.example&referrerName=Alice"
DOC = harness.ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


def main() -> int:
    run = harness.start("bench", HARD_TIMEOUT, (__doc__ or "").splitlines()[0])
    get, tool = get_tool()
    print(f"Moonly benchmark; GET tool: {get.__name__}; logs in {run.logs}", flush=True)
    started = time.perf_counter()
    try:
        url = harness.fresh_database("moonly_bench")
        env = harness.app_env(
            url, harness.free_port(), MOONLY_REFERRAL_FLOW="customer_at_signup"
        )
        bare_env = {**env, "PORT": str(harness.free_port())}
        harness.prepare_database(run.bin, env)
        with (
            harness.serving(run, "gunicorn-moonly", env) as (mbase, mproc),
            harness.serving(
                run, "gunicorn-bare", bare_env, "bare_app:app", harness.SCRIPTS
            ) as (bbase, bproc),
        ):
            moonly, bare = Server(mbase, mproc.pid), Server(bbase, bproc.pid)
            with harness.connect(url) as conn:
                row = conn.execute("SHOW server_version").fetchone()
                postgres = row[0] if row else "unknown"
            # Signups first: they make the customers the webhook events refer to.
            signup_runs, hash_ms, hash_method = measure_signups(moonly)
            hooks, stored = measure_webhooks(url, moonly, bare, env)
            landing = measure_landing(get, moonly, bare)
            print("\n== 4. Landing page weight and render-blocking resources ==")
            weight, bare_weight = page_weight(mbase, LANDING), page_weight(bbase, "/")
            blocking = [(x.kind, x.url) for x in weight.blocking]
            print(
                f"  HTML {weight.html} B (HTTP {weight.status}); own resources"
                f" {weight.own}; external {weight.external}; render-blocking"
                f" {blocking}; inline scripts {weight.inline}",
                flush=True,
            )
        errors = harness.server_errors(run.procs.log_text("gunicorn-moonly"))
    finally:
        run.procs.stop_all()
        harness.disarm_deadline()

    results = bench_report.Results(
        landing,
        hooks,
        stored,
        signup_runs,
        hash_ms,
        hash_method,
        weight,
        bare_weight,
        errors,
    )
    setup = bench_report.Setup(
        nproc=bench_report.nproc(),
        cpu=bench_report.cpu_model(),
        python=bench_report.python_version(),
        gunicorn=bench_report.version_of([str(run.bin / "gunicorn"), "--version"]),
        postgres=postgres,
        tool=tool,
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        seconds=time.perf_counter() - started,
        runs=RUNS,
        get_runs=GET_RUNS,
        hook_threads=HOOK_THREADS,
        hook_events=HOOK_EVENTS,
        signups_per_run=SIGNUP_PER_RUN,
        signup_clients=SIGNUP_CLIENTS,
        hash_runs=HASH_RUNS,
        landing=LANDING,
    )
    markdown = bench_report.markdown(results, setup)
    DOC.write_text(markdown)
    print("\n================ SUMMARY (make bench) ================")
    print(markdown)
    print(f"Written to {DOC.relative_to(harness.ROOT)}; logs in {run.logs}")
    return 0


def get_tool() -> tuple[Getter, str]:
    """wrk when installed, else the Python client; and how the report names it."""
    if shutil.which("wrk"):
        version = bench_report.version_of(["wrk", "-v"])
        flags = f"-t2 -c{GET_CONNECTIONS} -d{WRK_SECONDS}s --latency"
        return wrk, f"{version}; `wrk {flags}`"
    return python_get, (
        f"Python client ({GET_CONNECTIONS} threads, keep-alive http.client,"
        f" {WRK_SECONDS} s) — wrk was not available"
    )


def measure_signups(moonly: Server) -> tuple[list[Measured], float, str]:
    """Signups/s and POST latencies; the password hash timed alone."""
    print("\n== 3. Signup throughput (scenario A, sandbox) ==", flush=True)
    signups(moonly.base, "benchw", SIGNUP_WARMUP, SIGNUP_CLIENTS)
    runs = []
    for n in range(RUNS):
        sent = signups(moonly.base, f"bench{n}", SIGNUP_PER_RUN, SIGNUP_CLIENTS)
        failed = len(sent.forms) - sent.ok
        runs.append(Measured(sent.rate, sent.p(50), sent.p(99), failed=failed))
        print(
            f"  run {n + 1}: {sent.ok}/{len(sent.forms)} ok,"
            f" {sent.rate:.1f} signups/s, p50 {ms(sent.p(50))}",
            flush=True,
        )
    times = []
    for _ in range(HASH_RUNS):
        t0 = time.perf_counter()
        hashed = generate_password_hash(PASSWORD)
        times.append(time.perf_counter() - t0)
    hash_ms, method = statistics.median(times) * 1000, hashed.split("$", 1)[0]
    print(f"  password hash ({method}): median {hash_ms:.1f} ms over {HASH_RUNS}")
    return runs, hash_ms, method


def measure_webhooks(
    url: str, moonly: Server, bare: Server, env: dict[str, str]
) -> tuple[dict[str, list[Measured]], tuple[int, int]]:
    """Signed `customer.updated` events: Moonly's endpoint vs the bare app's POST."""
    print("\n== 2. Webhook ingest ==", flush=True)
    secret = env["STRIPE_WEBHOOK_SECRET"]
    with harness.connect(url) as conn:
        customers = [
            data
            for (data,) in conn.execute(
                "SELECT data FROM stripe_sandbox.sandbox_objects"
                " WHERE object = 'customer' AND NOT deleted"
                " ORDER BY created_ns LIMIT 200"
            ).fetchall()
        ]
    print(f"  {len(customers)} sandbox customers for the events", flush=True)
    targets = {
        "bare": (bare.base, "/hook"),
        "moonly": (moonly.base, "/webhooks/stripe"),
    }
    warm = customer_events(customers, "warm", 80)
    for base, path in (targets["moonly"], targets["bare"]):
        post_all(base, path, warm, secret)
    runs: dict[str, list[Measured]] = {name: [] for name in targets}
    for n in range(RUNS):
        bodies = customer_events(customers, f"r{n}", HOOK_EVENTS)  # right before
        for name, (base, path) in targets.items():
            r = post_all(base, path, bodies, secret)
            runs[name].append(r)
            print(
                f"  run {n + 1} {name:6}: {r.rps:.0f} events/s, p50 {ms(r.p50)},"
                f" p99 {ms(r.p99)}, statuses {r.statuses}",
                flush=True,
            )
    with harness.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), count(*) FILTER"
            " (WHERE processed_at IS NULL OR error IS NOT NULL)"
            " FROM stripe_events WHERE id LIKE 'evt_bench_%%'"
        ).fetchone()
    stored = (row[0], row[1]) if row else (0, 0)
    print(f"  stripe_events stored {stored[0]}, unprocessed or failed {stored[1]}")
    return runs, stored


def measure_landing(
    get: Getter, moonly: Server, bare: Server
) -> dict[str, list[Measured]]:
    """GET_RUNS rounds of bare, then Moonly with an invite link, then without one."""
    print(f"\n== 1. Landing page with an invite link ({get.__name__}) ==", flush=True)
    targets = {
        "bare": (bare, "/"),
        "moonly": (moonly, LANDING),
        "moonly_plain": (moonly, "/"),  # the same page without an invite link
    }
    get(moonly.base + LANDING, WARMUP_SECONDS)
    get(bare.base + "/", WARMUP_SECONDS)
    runs: dict[str, list[Measured]] = {name: [] for name in targets}
    for n in range(GET_RUNS):
        for name, (server, path) in targets.items():
            cpu_before = server_cpu(server.pid)
            r = get(server.base + path, WRK_SECONDS)
            cpu_after = server_cpu(server.pid)
            served = r.rps * WRK_SECONDS
            if cpu_before is not None and cpu_after is not None and served:
                r.cpu_us = (cpu_after - cpu_before) / served * 1e6
            runs[name].append(r)
            print(
                f"  run {n + 1} {name:6}: {r.rps:.0f} req/s, p50 {ms(r.p50)},"
                f" p99 {ms(r.p99)}, server CPU {r.cpu_us or 0:.0f} µs/request,"
                f" non-2xx/3xx {r.non2xx} {r.socket_errors}",
                flush=True,
            )
    return runs


if __name__ == "__main__":
    sys.exit(main())
