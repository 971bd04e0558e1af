"""docs/benchmarks.md from what `make bench` measured, through
scripts/templates/benchmarks.md."""

# ruff: noqa: S603 - fixed commands (the tools' --version)

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench_http import Measured, median_run
from page_weight import Weight
from report import render


@dataclass
class Results:
    landing: dict[str, list[Measured]]  # runs of "bare", "moonly", "moonly_plain"
    hooks: dict[str, list[Measured]]  # runs of "bare", "moonly"
    hooks_stored: tuple[int, int]  # benchmark events stored; unprocessed or failed
    signups: list[Measured]
    hash_ms: float
    hash_method: str
    weight: Weight
    bare_weight: Weight
    server_errors: list[str]


@dataclass(frozen=True)
class Setup:
    """The machine, the software and the method, as the report states them."""

    nproc: int
    cpu: str
    python: str
    gunicorn: str
    postgres: str
    tool: str
    date: str
    seconds: float
    runs: int
    get_runs: int
    hook_threads: int
    hook_events: int
    signups_per_run: int
    signup_clients: int
    hash_runs: int
    landing: str


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def nproc() -> int:
    return len(os.sched_getaffinity(0))


def python_version() -> str:
    return platform.python_version()


def version_of(cmd: list[str]) -> str:
    """The first line a tool prints about its version."""
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def markdown(r: Results, s: Setup) -> str:
    # Each landing run is paired with the bare run just before it: the ratio of a pair
    # is measured under the same load, so the median of the pairs is the figure.
    pairs = list(zip(r.landing["moonly"], r.landing["bare"], strict=True))
    pair_ratios = sorted(m.rps / b.rps for m, b in pairs)
    cpu_ratios = sorted(b.cpu_us / m.cpu_us for m, b in pairs if m.cpu_us and b.cpu_us)
    signup = median_run(r.signups)
    return render(
        "benchmarks.md",
        r=r,
        s=s,
        get={name: median_run(runs) for name, runs in r.landing.items()},
        hooks={name: median_run(runs) for name, runs in r.hooks.items()},
        signup=signup,
        pair_ratios=pair_ratios,
        get_ratio=statistics.median(pair_ratios),
        cpu_ratios=cpu_ratios,
        cpu_ratio=statistics.median(cpu_ratios) if cpu_ratios else None,
        cpu_us={
            name: statistics.median([x.cpu_us for x in runs if x.cpu_us] or [0])
            for name, runs in r.landing.items()
        },
        hash_share=r.hash_ms / (signup.p50 * 1000),
        hash_cpu_share=r.hash_ms / 1000 * signup.rps / s.nproc,
    )
