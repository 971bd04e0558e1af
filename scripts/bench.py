"""Benchmark Moonly against a bare Flask app served the same way; write docs/benchmarks.md.

    make bench           # or: .venv/bin/python scripts/bench.py --bin .venv/bin

Both apps run at once under gunicorn (2 workers × 4 threads) and are measured one at a
time, alternating, so the figures are ratios that hold on a noisy machine. Each
measurement has a warm-up, then runs 3 times; the median is reported.
"""

# ruff: noqa: S603 - fixed commands (wrk, the venv's gunicorn)

from __future__ import annotations

import datetime as dt
import http.client
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

RUNS = 3
GET_RUNS = 5  # the landing page's ratio is the goal: more pairs, on a shared machine
WRK_SECONDS = 10
WARMUP_SECONDS = 3
GET_CONNECTIONS = 20
HOOK_THREADS = 8
HOOK_EVENTS = 400  # per run
SIGNUP_CLIENTS = 8
SIGNUP_WARMUP = 16
SIGNUP_PER_RUN = 64  # 16 + 3 × 64 = 208 customers for the webhook events
HASH_RUNS = 20
HARD_TIMEOUT = 420
LANDING = "/?ucc=bench123&productId=moonly.example&referrerName=Alice"
DOC = h.ROOT / "docs" / "benchmarks.md"


# GET: wrk, or a Python keep-alive client


def _seconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip()).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, seconds: int) -> dict:
    cmd = ["wrk", "-t2", f"-c{GET_CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _seconds(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _seconds(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def python_get(url: str, seconds: int) -> dict:
    """Fallback: GET_CONNECTIONS threads, each one keep-alive http.client connection."""
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, codes = [], []
        while time.monotonic() < end:
            start = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                codes.append(response.status)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(
                    parts.hostname, parts.port, timeout=30
                )
                codes.append(0)
                continue
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.extend(codes)

    started = time.perf_counter()
    threads = [
        threading.Thread(target=worker, daemon=True) for _ in range(GET_CONNECTIONS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "p50": h.percentile(latencies, 50),
        "p99": h.percentile(latencies, 99),
        "non2xx": sum(1 for s in statuses if not 200 <= s < 400),
        "socket_errors": "",
    }


def server_cpu(proc: subprocess.Popen) -> float | None:
    """CPU seconds used so far by a gunicorn master and its workers (Linux /proc)."""
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
        total = 0
        for pid in [proc.pid, *map(int, children.split())]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in ticks
    except (OSError, ValueError, IndexError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


def median_run(runs: list[dict], key: str = "rps") -> dict:
    """The run with the median throughput (its latencies come with it)."""
    ordered = sorted(runs, key=lambda r: r[key])
    return ordered[len(ordered) // 2]


# Webhooks: a Python client, 8 threads, keep-alive


def customer_events(customers: list[dict], tag: str, count: int) -> list[str]:
    """`customer.updated` events with unique ids about customers that exist."""
    now = int(time.time())
    bodies = []
    for i in range(count):
        customer = customers[i % len(customers)]
        bodies.append(
            json.dumps(
                {
                    "id": f"evt_bench_{tag}_{i:05d}",
                    "object": "event",
                    "api_version": "2026-10-28.endive",
                    "created": now,
                    "data": {
                        "object": customer,
                        "previous_attributes": {"description": None},
                    },
                    "livemode": False,
                    "pending_webhooks": 1,
                    "request": {"id": None, "idempotency_key": None},
                    "type": "customer.updated",
                }
            )
        )
    return bodies


def post_all(port: int, path: str, bodies: list[str], secret: str) -> dict:
    import stripe

    counter = itertools.count()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + 120

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, codes = [], []
        while time.monotonic() < deadline:
            i = next(counter)
            if i >= len(bodies):
                break
            body = bodies[i]
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                # Signed right before sending: a fresh timestamp.
                "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
                    body, secret
                ),
            }
            start = time.perf_counter()
            try:
                conn.request("POST", path, body=body.encode(), headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                codes.append(type(error).__name__)
                continue
            mine.append(time.perf_counter() - start)
            code = str(response.status)
            if response.status == 200 and b'"duplicate":true' in data.replace(
                b" ", b""
            ):
                code = "200 duplicate"
            codes.append(code)
        conn.close()
        with lock:
            latencies.extend(mine)
            for code in codes:
                statuses[code] = statuses.get(code, 0) + 1

    started = time.perf_counter()
    threads = [
        threading.Thread(target=worker, daemon=True) for _ in range(HOOK_THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=130)
    elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "p50": h.percentile(latencies, 50),
        "p99": h.percentile(latencies, 99),
        "statuses": statuses,
        "count": len(latencies),
    }


# Landing page weight


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_head = False
        self.head_done = False
        self.scripts: list[dict] = []  # src or inline, with where and attributes
        self.styles: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v if v is not None else "") for k, v in attrs}
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head, self.head_done = False, True
        elif tag == "script":
            self.scripts.append(
                {"src": a.get("src"), "head": self.in_head, **{"attrs": a}}
            )
        elif tag == "link" and "stylesheet" in a.get("rel", "").lower().split():
            self.styles.append(
                {"href": a.get("href"), "head": self.in_head, "attrs": a}
            )

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head, self.head_done = False, True


def blocking_script(script: dict) -> bool:
    a = script["attrs"]
    return bool(
        script["src"]
        and "async" not in a
        and "defer" not in a
        and a.get("type", "").lower() != "module"
    )


def blocking_style(style: dict) -> bool:
    media = style["attrs"].get("media", "").strip().lower()
    return media in ("", "all", "screen") or "screen" in media


def page_weight(base: str, path: str) -> dict:
    s = h.session()
    page = s.get(base + path, timeout=30)
    parser = PageParser()
    parser.feed(page.text)
    origin = urlsplit(base).netloc
    own, external = [], []
    for kind, items, key in (
        ("script", parser.scripts, "src"),
        ("stylesheet", parser.styles, "href"),
    ):
        for item in items:
            if not item[key]:
                continue
            url = urljoin(base + path, item[key])
            if urlsplit(url).netloc == origin:
                response = s.get(url, timeout=30)
                own.append(
                    (
                        kind,
                        urlsplit(url).path,
                        len(response.content),
                        response.status_code,
                    )
                )
            else:
                external.append((kind, url))
    head_blocking = [
        ("script", x["src"]) for x in parser.scripts if x["head"] and blocking_script(x)
    ] + [
        ("stylesheet", x["href"])
        for x in parser.styles
        if x["head"] and blocking_style(x)
    ]
    inline = [x for x in parser.scripts if not x["src"]]
    return {
        "status": page.status_code,
        "html": len(page.content),
        "own": own,
        "own_total": len(page.content) + sum(size for _, _, size, _ in own),
        "external": external,
        "blocking": head_blocking,
        "inline": len(inline),
        "inline_head": sum(1 for x in inline if x["head"]),
    }


# Report


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": str(len(__import__("os").sched_getaffinity(0))), "cpu": cpu}


def version_of(cmd: list[str]) -> str:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (
        (result.stdout or result.stderr).strip().splitlines()[0]
        if (result.stdout or result.stderr)
        else "unknown"
    )


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def table(rows: list[list[str]]) -> str:
    header = "| " + " | ".join(rows[0]) + " |"
    rule = "| " + " | ".join("---" for _ in rows[0]) + " |"
    return "\n".join([header, rule, *("| " + " | ".join(r) + " |" for r in rows[1:])])


def main() -> int:
    bin_, logs, procs = h.start("bench", HARD_TIMEOUT, __doc__.splitlines()[0])
    tool = "wrk" if shutil.which("wrk") else "python"
    get = wrk if tool == "wrk" else python_get
    get_tool = (
        f"{version_of(['wrk', '-v'])}; `wrk -t2 -c{GET_CONNECTIONS} -d{WRK_SECONDS}s --latency`"
        if tool == "wrk"
        else f"Python client ({GET_CONNECTIONS} threads, keep-alive http.client, {WRK_SECONDS} s) — wrk was not available"
    )
    print(f"Moonly benchmark; GET tool: {tool}; logs in {logs}", flush=True)
    started = time.perf_counter()
    results: dict = {}
    try:
        url = h.fresh_database("moonly_bench")
        port_m, port_b = h.free_port(), h.free_port()
        env = h.app_env(url, port_m, MOONLY_REFERRAL_FLOW="customer_at_signup")
        secret = env["STRIPE_WEBHOOK_SECRET"]
        h.prepare_database(bin_, env)
        moonly = procs.start(
            "gunicorn-moonly", h.gunicorn_cmd(bin_, "wsgi:app", port_m), env
        )
        bare = procs.start(
            "gunicorn-bare",
            h.gunicorn_cmd(bin_, "bare_app:app", port_b),
            env,
            cwd=h.SCRIPTS,
        )
        mbase, bbase = f"http://127.0.0.1:{port_m}", f"http://127.0.0.1:{port_b}"
        h.wait_ready(mbase, moonly)
        h.wait_ready(bbase, bare)
        with h.connect(url) as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]

        # 3. Signups (first: they make the customers the webhook events refer to).
        print("\n== 3. Signup throughput (scenario A, sandbox) ==", flush=True)
        h.run_signups(mbase, "benchw", SIGNUP_WARMUP, SIGNUP_CLIENTS)
        signup_runs = []
        for run in range(RUNS):
            forms, res, elapsed = h.run_signups(
                mbase, f"bench{run}", SIGNUP_PER_RUN, SIGNUP_CLIENTS
            )
            ok = sum(1 for r in res.values() if r["ok"])
            lat = [r["latency"] for r in res.values() if r["latency"] is not None]
            signup_runs.append(
                {
                    "rps": ok / elapsed,
                    "p50": h.percentile(lat, 50),
                    "p99": h.percentile(lat, 99),
                    "failed": len(forms) - ok,
                }
            )
            print(
                f"  run {run + 1}: {ok}/{len(forms)} ok, {ok / elapsed:.1f} signups/s, p50 {fmt_ms(h.percentile(lat, 50))}",
                flush=True,
            )
        from werkzeug.security import generate_password_hash

        hash_times = []
        for _ in range(HASH_RUNS):
            t0 = time.perf_counter()
            hashed = generate_password_hash(h.PASSWORD)
            hash_times.append(time.perf_counter() - t0)
        results["signup"] = {
            "best": median_run(signup_runs),
            "runs": signup_runs,
            "hash_ms": statistics.median(hash_times) * 1000,
            "hash_method": hashed.split("$", 1)[0],
        }
        print(
            f"  password hash ({results['signup']['hash_method']}): median {results['signup']['hash_ms']:.1f} ms over {HASH_RUNS}",
            flush=True,
        )

        # 2. Webhook ingest.
        print("\n== 2. Webhook ingest ==", flush=True)
        with h.connect(url) as conn:
            customers = [
                data
                for (data,) in conn.execute(
                    "SELECT data FROM stripe_sandbox.sandbox_objects WHERE object = 'customer' AND NOT deleted"
                    " ORDER BY created_ns LIMIT 200"
                ).fetchall()
            ]
        print(f"  {len(customers)} sandbox customers for the events", flush=True)
        warm = customer_events(customers, "warm", 80)
        post_all(port_m, "/webhooks/stripe", warm, secret)
        post_all(port_b, "/hook", warm, secret)
        hook_runs = {"moonly": [], "bare": []}
        for run in range(RUNS):
            bodies = customer_events(
                customers, f"r{run}", HOOK_EVENTS
            )  # right before sending
            for name, port, path in (
                ("bare", port_b, "/hook"),
                ("moonly", port_m, "/webhooks/stripe"),
            ):
                r = post_all(port, path, bodies, secret)
                hook_runs[name].append(r)
                print(
                    f"  run {run + 1} {name:6}: {r['rps']:.0f} events/s, p50 {fmt_ms(r['p50'])}, p99 {fmt_ms(r['p99'])}, statuses {r['statuses']}",
                    flush=True,
                )
        results["hooks"] = {k: median_run(v) for k, v in hook_runs.items()}
        results["hooks_runs"] = hook_runs
        with h.connect(url) as conn:
            stored, failed = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL OR error IS NOT NULL)"
                " FROM stripe_events WHERE id LIKE 'evt_bench_%%'"
            ).fetchone()
        results["hooks_stored"] = (stored, failed)
        print(
            f"  stripe_events stored {stored}, unprocessed or failed {failed}",
            flush=True,
        )

        # 1. Landing page with an invite link vs the bare GET /.
        print(f"\n== 1. Landing page with an invite link ({tool}) ==", flush=True)
        get(mbase + LANDING, WARMUP_SECONDS)
        get(bbase + "/", WARMUP_SECONDS)
        get_runs = {"moonly": [], "bare": [], "moonly_plain": []}
        servers = {"bare": bare, "moonly": moonly, "moonly_plain": moonly}
        for run in range(GET_RUNS):
            for name, target in (
                ("bare", bbase + "/"),
                ("moonly", mbase + LANDING),
                ("moonly_plain", mbase + "/"),  # the same page without an invite link
            ):
                cpu_before = server_cpu(servers[name])
                r = get(target, WRK_SECONDS)
                cpu_after = server_cpu(servers[name])
                served = r["rps"] * WRK_SECONDS
                r["cpu_us"] = (
                    (cpu_after - cpu_before) / served * 1e6
                    if cpu_before is not None and cpu_after is not None and served
                    else None
                )
                get_runs[name].append(r)
                print(
                    f"  run {run + 1} {name:6}: {r['rps']:.0f} req/s, p50 {fmt_ms(r['p50'])}, p99 {fmt_ms(r['p99'])}, server CPU {r['cpu_us'] or 0:.0f} µs/request, non-2xx/3xx {r['non2xx']} {r['socket_errors']}",
                    flush=True,
                )
        results["get"] = {k: median_run(v) for k, v in get_runs.items()}
        results["get_runs"] = get_runs

        # 4. Page weight.
        print(
            "\n== 4. Landing page weight and render-blocking resources ==", flush=True
        )
        results["weight"] = page_weight(mbase, LANDING)
        results["bare_weight"] = page_weight(bbase, "/")
        w = results["weight"]
        print(
            f"  HTML {w['html']} B (HTTP {w['status']}); own resources {w['own']}; external {w['external']}; render-blocking {w['blocking']}; inline scripts {w['inline']}",
            flush=True,
        )

        errors = h.server_errors(procs.log_text("gunicorn-moonly"))
        results["server_errors"] = errors
    finally:
        procs.stop_all()
        import signal

        signal.alarm(0)

    info = machine()
    info.update(
        python=platform.python_version(),
        gunicorn=version_of([str(bin_ / "gunicorn"), "--version"]),
        postgres=pg_version,
        tool=get_tool,
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        seconds=f"{time.perf_counter() - started:.0f}",
    )
    markdown = render(results, info)
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(markdown)
    print("\n================ SUMMARY (make bench) ================")
    print(markdown)
    print(f"Written to {DOC.relative_to(h.ROOT)}; logs in {logs}")
    return 0


def render(r: dict, info: dict) -> str:
    g, hk, su, w, bw = r["get"], r["hooks"], r["signup"], r["weight"], r["bare_weight"]
    pairs = list(zip(r["get_runs"]["moonly"], r["get_runs"]["bare"], strict=True))
    # Each run is paired with the bare run just before it: the ratio of a pair is
    # measured under the same load, so the median of the pairs is the figure.
    pair_ratios = [m["rps"] / b["rps"] for m, b in pairs]
    get_ratio = statistics.median(pair_ratios)
    cpu_ratios = [
        b["cpu_us"] / m["cpu_us"] for m, b in pairs if m["cpu_us"] and b["cpu_us"]
    ]
    cpu_ratio = statistics.median(cpu_ratios) if cpu_ratios else None
    hook_ratio = hk["moonly"]["rps"] / hk["bare"]["rps"]
    share = su["hash_ms"] / (su["best"]["p50"] * 1000)
    cpu_share = su["hash_ms"] / 1000 * su["best"]["rps"] / int(info["nproc"])

    def runs(xs: list[dict], digits: str = ".0f") -> str:
        return ", ".join(format(x["rps"], digits) for x in xs)

    lines = [
        "# Benchmarks",
        "",
        "Moonly measured against a bare Flask app (`scripts/bare_app.py`) served the same way, in",
        "one run, so the ratios hold on a noisy machine. Written by `scripts/bench.py`; every run",
        "overwrites this file.",
        "",
        f"- **Date:** {info['date']} (the run took {info['seconds']} s)",
        f"- **Machine:** {info['nproc']} CPUs, {info['cpu']}",
        f"- **Software:** Python {info['python']}, {info['gunicorn']}, PostgreSQL {info['postgres']}",
        "- **Serving (both apps):** `gunicorn <app> --bind 127.0.0.1:<port> --workers 2 --threads 4`;"
        " Moonly with `MOONLY_ENV=production`, `STRIPE_SANDBOX=1` (offline Stripe in PostgreSQL),"
        " `RATELIMIT_ENABLED=false`, database `moonly_bench`",
        f"- **GET tool:** {info['tool']}",
        f"- **POST tool:** Python client, {HOOK_THREADS} threads, keep-alive `http.client`, each body signed right before it is sent",
        f"- **Method:** a warm-up, then {RUNS} runs per figure ({GET_RUNS} for the landing page) alternating bare and Moonly; the median run is shown, and the landing page's ratio is the median of the paired runs",
        "",
        "Reproduce with `make bench` (installs `wrk` with apt-get when it is missing).",
        "",
        "## 1. Landing page with an invite link",
        "",
        f"`GET {LANDING}` (Moonly: the page, the invite banner, the invite cookie)"
        " vs the bare app's `GET /`.",
        "",
        table(
            [
                ["Figure", "Moonly", "Bare Flask", "Ratio (Moonly / bare)", "Goal"],
                [
                    "Requests/s (median run; ratio: median of the paired runs)",
                    f"{g['moonly']['rps']:.0f}",
                    f"{g['bare']['rps']:.0f}",
                    f"{get_ratio:.2f}",
                    f"≥ 0.6 ({'met' if get_ratio >= 0.6 else 'NOT met'})",
                ],
                [
                    "Server CPU per request (gunicorn master and workers; ratio bare / Moonly, median of pairs)",
                    f"{statistics.median([m['cpu_us'] for m, _ in pairs if m['cpu_us']] or [0]):.0f} µs",
                    f"{statistics.median([b['cpu_us'] for _, b in pairs if b['cpu_us']] or [0]):.0f} µs",
                    f"{cpu_ratio:.2f}" if cpu_ratio else "—",
                    "",
                ],
                [
                    "p50 latency",
                    fmt_ms(g["moonly"]["p50"]),
                    fmt_ms(g["bare"]["p50"]),
                    f"{g['moonly']['p50'] / g['bare']['p50']:.2f}",
                    "",
                ],
                [
                    "p99 latency",
                    fmt_ms(g["moonly"]["p99"]),
                    fmt_ms(g["bare"]["p99"]),
                    f"{g['moonly']['p99'] / g['bare']['p99']:.2f}",
                    "",
                ],
                [
                    "Non-2xx/3xx (median run)",
                    str(g["moonly"]["non2xx"]),
                    str(g["bare"]["non2xx"]),
                    "",
                    "0",
                ],
                [
                    "For reference: Moonly `GET /` without an invite link, requests/s",
                    f"{g['moonly_plain']['rps']:.0f}",
                    f"{g['bare']['rps']:.0f}",
                    f"{g['moonly_plain']['rps'] / g['bare']['rps']:.2f}",
                    "",
                ],
            ]
        ),
        "",
        f"Runs (req/s): Moonly {runs(r['get_runs']['moonly'])}; bare {runs(r['get_runs']['bare'])};"
        f" Moonly without an invite link {runs(r['get_runs']['moonly_plain'])}."
        f" Paired ratios: {', '.join(f'{x:.2f}' for x in sorted(pair_ratios))};"
        f" server-CPU ratios: {', '.join(f'{x:.2f}' for x in sorted(cpu_ratios)) or 'not measured'}."
        " wrk runs on the same CPUs as the servers, and so does whatever else the machine"
        " runs: requests/s move with it, CPU per request much less (it leaves out wrk's own"
        " work, a larger share for the 25 KB page). With an invite link, each request (wrk sends no"
        " cookies) is a new visitor: Moonly sets the invite cookie (the ucc and a note of"
        " the visit), writing nothing to the database until a signup.",
        "",
        "## 2. Webhook ingest",
        "",
        f"`POST /webhooks/stripe` with {HOOK_EVENTS} unique, validly signed `customer.updated` events per run"
        " about customers that exist in the sandbox (verify the signature, store the event,"
        " re-fetch the customer, commit) vs the bare app's `POST /hook` (reads the body) with the"
        " same client and bodies.",
        "",
        table(
            [
                ["Figure", "Moonly", "Bare Flask", "Ratio (Moonly / bare)", "Goal"],
                [
                    "Events/s",
                    f"{hk['moonly']['rps']:.0f}",
                    f"{hk['bare']['rps']:.0f}",
                    f"{hook_ratio:.2f}",
                    "—",
                ],
                [
                    "p50 latency",
                    fmt_ms(hk["moonly"]["p50"]),
                    fmt_ms(hk["bare"]["p50"]),
                    f"{hk['moonly']['p50'] / hk['bare']['p50']:.2f}",
                    "",
                ],
                [
                    "p99 latency",
                    fmt_ms(hk["moonly"]["p99"]),
                    fmt_ms(hk["bare"]["p99"]),
                    f"{hk['moonly']['p99'] / hk['bare']['p99']:.2f}",
                    "",
                ],
                [
                    "Answers (median run)",
                    str(hk["moonly"]["statuses"]),
                    str(hk["bare"]["statuses"]),
                    "",
                    "all 200, none duplicate",
                ],
            ]
        ),
        "",
        f"Runs (events/s): Moonly {runs(r['hooks_runs']['moonly'])}; bare {runs(r['hooks_runs']['bare'])}."
        f" Stored benchmark events: {r['hooks_stored'][0]}, unprocessed or failed: {r['hooks_stored'][1]}.",
        "",
        "## 3. Signup throughput (scenario A, offline Stripe)",
        "",
        f"{SIGNUP_PER_RUN} signups per run from {SIGNUP_CLIENTS} concurrent clients, each `GET /signup` then"
        " `POST /signup` (302 → /account), which creates the user and the Stripe customer with"
        " Cello's metadata. Latency is the POST's. No bare equivalent.",
        "",
        table(
            [
                ["Figure", "Moonly", "Bare Flask", "Ratio", "Goal"],
                ["Signups/s", f"{su['best']['rps']:.1f}", "—", "—", "—"],
                ["POST p50 latency", fmt_ms(su["best"]["p50"]), "—", "—", "—"],
                ["POST p99 latency", fmt_ms(su["best"]["p99"]), "—", "—", "—"],
                [
                    f"Password hash, median of {HASH_RUNS} (`{su['hash_method']}`, the app's default)",
                    f"{su['hash_ms']:.1f} ms",
                    "—",
                    "—",
                    "—",
                ],
                ["Hash share of the signup p50", f"{share:.0%}", "—", "—", "—"],
                [
                    "CPU spent hashing at that throughput (hash × signups/s ÷ CPUs)",
                    f"{cpu_share:.0%}",
                    "—",
                    "—",
                    "—",
                ],
            ]
        ),
        "",
        f"Runs (signups/s): {runs(su['runs'], '.1f')};"
        f" failed signups: {sum(x['failed'] for x in su['runs'])}. The hash is timed alone in the"
        " benchmark process. The signup p50 also holds queueing behind other signups on"
        f" {info['nproc']} CPUs, so its hash share understates hashing's weight; the CPU row"
        " is the share of the machine the hashes take at the measured throughput.",
        "",
        "## 4. Landing page weight and render-blocking resources",
        "",
        f"`GET {LANDING}`, parsed with `html.parser`; own = the HTML plus every same-origin"
        " stylesheet and script it references.",
        "",
        table(
            [
                ["Figure", "Moonly", "Bare Flask", "Ratio", "Goal"],
                [
                    "HTML",
                    f"{w['html']:,} B",
                    f"{bw['html']:,} B",
                    f"{w['html'] / bw['html']:.1f}",
                    "—",
                ],
                [
                    "Own stylesheets and scripts",
                    "<br>".join(f"{k} `{p}` {n:,} B" for k, p, n, _ in w["own"])
                    or "none",
                    "none",
                    "—",
                    "—",
                ],
                [
                    "Own total (HTML + own resources)",
                    f"{w['own_total']:,} B",
                    f"{bw['own_total']:,} B",
                    f"{w['own_total'] / bw['own_total']:.1f}",
                    "—",
                ],
                [
                    "External scripts (not counted above)",
                    "<br>".join(f"`{u}`" for _, u in w["external"]) or "none",
                    "none",
                    "—",
                    "—",
                ],
                [
                    "Render-blocking resources in `<head>`",
                    str(len(w["blocking"]))
                    + (
                        ": " + ", ".join(f"{k} `{u}`" for k, u in w["blocking"])
                        if w["blocking"]
                        else ""
                    ),
                    str(len(bw["blocking"])),
                    "—",
                    f"none ({'met' if not w['blocking'] else 'NOT met'})",
                ],
                [
                    "Inline scripts",
                    f"{w['inline']} ({w['inline_head']} in `<head>`)",
                    str(bw["inline"]),
                    "—",
                    "—",
                ],
            ]
        ),
        "",
        "Render-blocking counts a `<script src>` in `<head>` without `async`, `defer` or"
        " `type=module`, and a `<link rel=stylesheet>` in `<head>` whose `media` is absent or matches"
        " the screen.",
    ]
    if r.get("server_errors"):
        lines += [
            "",
            f"Moonly's gunicorn log had {len(r['server_errors'])} error lines during the run, e.g. `{r['server_errors'][0]}`.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
