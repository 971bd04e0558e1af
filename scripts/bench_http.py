"""How `make bench` measures: GETs with wrk (or the Python client of traffic.py),
signed webhook POSTs, and the servers' own CPU time."""

# ruff: noqa: S603, S607 - fixed commands (wrk)

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from traffic import Answer, Client, fan_out, percentile, webhook_sender

GET_CONNECTIONS = 20
HOOK_THREADS = 8


@dataclass
class Measured:
    """One run of one figure: throughput, latencies and what was answered."""

    rps: float
    p50: float
    p99: float
    non2xx: int = 0
    socket_errors: str = ""
    cpu_us: float | None = None  # the server's CPU per request, in µs
    statuses: dict[str, int] = field(default_factory=dict)
    failed: int = 0


def median_run(runs: list[Measured]) -> Measured:
    """The run with the median throughput (its latencies come with it)."""
    return sorted(runs, key=lambda run: run.rps)[len(runs) // 2]


Getter = Callable[[str, int], Measured]


def _seconds(value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    assert found, value
    number, unit = found.groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, seconds: int) -> Measured:
    cmd = ["wrk", "-t2", f"-c{GET_CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout

    def found(pattern: str) -> str:
        match = re.search(pattern, out, re.M)
        assert match, f"{pattern!r} not in wrk's output:\n{out}"
        return match.group(1)

    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return Measured(
        rps=float(found(r"Requests/sec:\s+([\d.]+)")),
        p50=_seconds(found(r"^\s+50%\s+(\S+)")),
        p99=_seconds(found(r"^\s+99%\s+(\S+)")),
        non2xx=int(bad.group(1)) if bad else 0,
        socket_errors=errors.group(0) if errors else "",
    )


def python_get(url: str, seconds: int) -> Measured:
    """Without wrk: GET_CONNECTIONS keep-alive clients for `seconds`."""
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    base = f"{parts.scheme}://{parts.netloc}"
    run = fan_out(
        base, itertools.repeat(path), GET_CONNECTIONS, Client.get, seconds=seconds
    )
    return _measured([answer for _, answer in run.sent], run.elapsed)


def post_all(base: str, path: str, bodies: list[str], secret: str) -> Measured:
    """POST each body once, signed as it is sent, from HOOK_THREADS threads."""
    send = webhook_sender(secret, path)
    run = fan_out(base, bodies, HOOK_THREADS, send, seconds=120)
    return _measured([answer for _, answer in run.sent], run.elapsed)


def _measured(answers: list[Answer], elapsed: float) -> Measured:
    latencies = [a.seconds for a in answers if a.status is not None]
    return Measured(
        rps=len(latencies) / elapsed,
        p50=percentile(latencies, 50),
        p99=percentile(latencies, 99),
        non2xx=sum(1 for a in answers if not 200 <= (a.status or 0) < 400),
        statuses=dict(Counter(a.label for a in answers)),
    )


def server_cpu(pid: int) -> float | None:
    """CPU seconds used so far by a gunicorn master and its workers (Linux /proc)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        total = 0
        for each in [pid, *map(int, children.split())]:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in ticks
    except (OSError, ValueError, IndexError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


def customer_events(customers: list[dict[str, Any]], tag: str, count: int) -> list[str]:
    """`customer.updated` events with unique ids about customers that exist."""
    now = int(time.time())
    return [
        json.dumps(
            {
                "id": f"evt_bench_{tag}_{i:05d}",
                "object": "event",
                "api_version": "2026-10-28.endive",
                "created": now,
                "data": {
                    "object": customers[i % len(customers)],
                    "previous_attributes": {"description": None},
                },
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": "customer.updated",
            }
        )
        for i in range(count)
    ]
