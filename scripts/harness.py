"""What the load, storm and benchmark scripts run on: a throwaway PostgreSQL database,
the app's environment, and its processes, each in its own process group.

Every process started here is recorded and killed (its whole process group) by
`Processes.stop_all()`; every wait is bounded.
"""

# ruff: noqa: S603, S607 - fixed commands (dropdb, createdb, the venv's tools)

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg

from traffic import Client

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", "5432", "postgres"
PROTECTED_DATABASES = {"test", "postgres", "template0", "template1", "root"}
# Variables that could switch Stripe, Cello or the app's settings: never inherited.
NOT_INHERITED = ("STRIPE_", "CELLO_", "MOONLY_", "RATELIMIT_", "FLASK_")
NOT_INHERITED_NAMES = (
    "SECRET_KEY",
    "DATABASE_URL",
    "HOST",
    "PORT",
    "WEB_CONCURRENCY",
    "TRUST_PROXY_HOPS",
)


class HardTimeout(Exception):
    """The script ran past its overall deadline."""


@dataclass(frozen=True)
class Run:
    """What a script works with: the venv's bin, a folder for logs, its processes."""

    bin: Path
    logs: Path
    procs: Processes


def start(name: str, hard_timeout: int, description: str) -> Run:
    """Parse `--bin`, arm the hard deadline, make a log folder."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--bin", help="the venv's bin directory (default: this Python's)"
    )
    args = parser.parse_args()
    install_deadline(hard_timeout)
    logs = Path(tempfile.mkdtemp(prefix=f"moonly-{name}-"))
    return Run(bin_dir(args.bin), logs, Processes(logs))


def install_deadline(seconds: int) -> None:
    """Raise HardTimeout in the main thread after `seconds`; try/finally cleans up."""

    def expired(signum: int, frame: FrameType | None) -> None:
        raise HardTimeout(f"hard timeout: the script ran for more than {seconds} s")

    def terminated(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGALRM, expired)
    signal.signal(signal.SIGTERM, terminated)
    signal.alarm(seconds)


def disarm_deadline() -> None:
    signal.alarm(0)


def bin_dir(argv_bin: str | None) -> Path:
    """The venv's bin directory: --bin from the Makefile, else this interpreter's."""
    path = Path(argv_bin) if argv_bin else Path(sys.executable).parent
    return path if path.is_absolute() else ROOT / path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# Databases


def database_url(name: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def fresh_database(name: str) -> str:
    """Drop (forcing out stale connections) and create a database; return its URL."""
    if name in PROTECTED_DATABASES:
        raise SystemExit(f"refusing to touch database {name!r}")
    common = ["-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER]
    for cmd in (
        ["dropdb", *common, "--if-exists", "--force", name],
        ["createdb", *common, name],
    ):
        subprocess.run(cmd, check=True, timeout=60, capture_output=True)
    return database_url(name)


def connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(url, autocommit=True, connect_timeout=10)


# The app's environment and processes


def app_env(db_url: str, port: int, **extra: str) -> dict[str, str]:
    """Production settings, the offline Stripe; nothing inherited switches Stripe or
    Cello."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(NOT_INHERITED) and name not in NOT_INHERITED_NAMES
    }
    env.update(
        MOONLY_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=db_url,
        STRIPE_SANDBOX="1",
        STRIPE_WEBHOOK_SECRET="whsec_" + secrets.token_hex(24),
        STRIPE_SANDBOX_DELIVER="0",
        RATELIMIT_ENABLED="false",
        MOONLY_DEMO="0",
        CELLO_BACKGROUND_DELIVERY="0",
        HOST="127.0.0.1",
        PORT=str(port),
        MOONLY_ALLOWED_HOSTS="127.0.0.1,localhost",
        FLASK_APP="wsgi:app",
        FLASK_SKIP_DOTENV="1",  # no .env / .flaskenv (MOONLY_ENV=development) leaks in
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Processes:
    """Processes started in their own process group, all killed by stop_all()."""

    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(
        self, name: str, cmd: Sequence[str], env: dict[str, str], cwd: Path = ROOT
    ) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(
                list(cmd),
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, for killpg
            )
        self.started.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
        if proc.poll() is None:
            signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        signal_group(proc, signal.SIGKILL)  # what is left: gunicorn workers, children
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.started = [p for p in self.started if p is not proc]

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            self.stop(proc)

    def log_text(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def signal_group(proc: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def flask_cmd(bin_: Path, *args: str) -> list[str]:
    return [str(bin_ / "flask"), "--app", "wsgi:app", *args]


def run_cli(bin_: Path, args: Sequence[str], env: dict[str, str]) -> None:
    """Run `flask --app wsgi:app …`; fail loudly with its output."""
    result = subprocess.run(
        flask_cmd(bin_, *args),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        start_new_session=True,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"flask {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )


def prepare_database(bin_: Path, env: dict[str, str]) -> None:
    run_cli(bin_, ["db", "upgrade"], env)
    run_cli(bin_, ["stripe", "bootstrap"], env)


def gunicorn_cmd(bin_: Path, target: str, port: int) -> list[str]:
    bind = f"127.0.0.1:{port}"
    return [
        str(bin_ / "gunicorn"),
        target,
        "--bind",
        bind,
        "--workers",
        "2",
        "--threads",
        "4",
    ]


@contextmanager
def serving(
    run: Run, name: str, env: dict[str, str], target: str = "wsgi:app", cwd: Path = ROOT
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve `target` with gunicorn on env's PORT while the block runs."""
    server = run.procs.start(
        name, gunicorn_cmd(run.bin, target, int(env["PORT"])), env, cwd
    )
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        print(
            f"  {name} ready in {wait_ready(base, server):.1f} s on {base}", flush=True
        )
        yield base, server
    finally:
        run.procs.stop(server)


def wait_ready(
    base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0, path: str = "/"
) -> float:
    """Poll GET path until it answers 200; return the seconds it took."""
    start = time.monotonic()
    last = "no answer"
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited early with code {proc.returncode}")
        client = Client(base, timeout=2)
        answer = client.get(path)
        client.close()
        if answer.status == 200:
            return time.monotonic() - start
        last = f"HTTP {answer.status}" if answer.status else answer.label
        time.sleep(0.2)
    raise SystemExit(f"{base}{path} not ready after {timeout:.0f} s ({last})")


def server_errors(log: str) -> list[str]:
    """Lines of a gunicorn log that show an unhandled error or a dead worker."""
    marks = ("Traceback", "Unhandled error", "ERROR", "CRITICAL", "WORKER TIMEOUT")
    return [line for line in log.splitlines() if any(m in line for m in marks)]
