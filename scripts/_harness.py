"""Shared by scripts/load.py and scripts/bench.py: a throwaway PostgreSQL database, the app
under gunicorn in its own process group, and an HTTP signup client.

Every process started here is recorded and killed (its whole process group) by
`Processes.stop_all()`; every wait is bounded.
"""

# ruff: noqa: S603, S607 - fixed commands (dropdb, createdb, the venv's tools)

from __future__ import annotations

import argparse
import os
import queue
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", "5432", "postgres"
PASSWORD = "correct horse battery staple"  # noqa: S105 - test users only
PROTECTED_DATABASES = {"test", "postgres", "template0", "template1", "root"}


class HardTimeout(Exception):
    """The script ran past its overall deadline."""


def install_deadline(seconds: int) -> None:
    """Raise HardTimeout in the main thread after `seconds` (try/finally then cleans up)."""

    def expired(signum, frame):
        raise HardTimeout(f"hard timeout: the script ran for more than {seconds} s")

    def terminated(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGALRM, expired)
    signal.signal(signal.SIGTERM, terminated)
    signal.alarm(seconds)


def bin_dir(argv_bin: str | None) -> Path:
    """The venv's bin directory: --bin from the Makefile, else this interpreter's."""
    path = Path(argv_bin) if argv_bin else Path(sys.executable).parent
    if not path.is_absolute():
        path = ROOT / path
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"moonly-{prefix}-"))


# Databases


def database_url(name: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def fresh_database(name: str) -> str:
    """Drop (forcing out stale connections) and create a database; return its URL."""
    if name in PROTECTED_DATABASES:
        raise SystemExit(f"refusing to touch database {name!r}")
    common = ["-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER]
    subprocess.run(
        ["dropdb", *common, "--if-exists", "--force", name],
        check=True,
        timeout=60,
        capture_output=True,
    )
    subprocess.run(
        ["createdb", *common, name], check=True, timeout=60, capture_output=True
    )
    return database_url(name)


def connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=10)


# The app's environment and processes


def app_env(db_url: str, port: int, **extra: str) -> dict[str, str]:
    """The environment the brief asks for; nothing inherited can switch Stripe or Cello."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STRIPE_", "CELLO_", "MOONLY_", "RATELIMIT_", "FLASK_"))
        and k
        not in (
            "SECRET_KEY",
            "DATABASE_URL",
            "HOST",
            "PORT",
            "WEB_CONCURRENCY",
            "TRUST_PROXY_HOPS",
        )
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


class Processes:
    """Processes started in their own process group, all killed by stop_all()."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(
        self, name: str, cmd: Sequence[str], env: dict[str, str], cwd: Path = ROOT
    ) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killpg reaches its children
        )
        log.close()
        self.started.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen, grace: float = 10.0) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:  # whatever is left of the group (gunicorn workers, threads' children)
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.started = [(n, p) for n, p in self.started if p is not proc]

    def stop_all(self) -> None:
        for _, proc in reversed(list(self.started)):
            self.stop(proc)

    def log_text(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def run_cli(bin_: Path, args: Sequence[str], env: dict[str, str], timeout: int = 180):
    """Run `flask --app wsgi:app …`; fail loudly with its output."""
    result = subprocess.run(
        [str(bin_ / "flask"), "--app", "wsgi:app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"flask {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def prepare_database(bin_: Path, env: dict[str, str]) -> None:
    run_cli(bin_, ["db", "upgrade"], env)
    run_cli(bin_, ["stripe", "bootstrap"], env)


def gunicorn_cmd(bin_: Path, target: str, port: int) -> list[str]:
    return [
        str(bin_ / "gunicorn"),
        target,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "4",
    ]


def wait_ready(
    base: str, proc: subprocess.Popen, timeout: float = 60.0, path: str = "/"
) -> float:
    """Poll GET path until it answers 200; return the seconds it took."""
    start = time.monotonic()
    last = "no answer"
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited early with code {proc.returncode}")
        try:
            response = requests.get(base + path, timeout=2)
            if response.status_code == 200:
                return time.monotonic() - start
            last = f"HTTP {response.status_code}"
        except requests.RequestException as error:
            last = type(error).__name__
        time.sleep(0.2)
    raise SystemExit(f"{base}{path} not ready after {timeout:.0f} s ({last})")


def server_errors(log: str) -> list[str]:
    """Lines of a gunicorn log that show an unhandled error or a dead worker."""
    marks = ("Traceback", "Unhandled error", "ERROR", "CRITICAL", "WORKER TIMEOUT")
    return [line for line in log.splitlines() if any(m in line for m in marks)]


# The signup client


class PlainHTTPSession(requests.Session):
    """Production cookies are Secure; this client speaks plain HTTP to loopback, as a
    TLS-terminating proxy would, so it keeps sending them back over http."""

    def request(self, *args, **kwargs):
        response = super().request(*args, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def session() -> requests.Session:
    return PlainHTTPSession()


_HIDDEN = re.compile(r"<input[^>]*>")


def hidden_value(html: str, name: str) -> str | None:
    for tag in _HIDDEN.findall(html):
        if f'name="{name}"' in tag and 'type="hidden"' in tag:
            found = re.search(r'value="([^"]*)"', tag)
            if found:
                return found.group(1)
    return None


def signup_form(n: int, tag: str) -> dict[str, str]:
    return {
        "name": f"Load User {n}",
        "email": f"{tag}{n:05d}@example.com",
        "password": PASSWORD,
        "organization": f"Org {n}" if n % 2 == 0 else "",
        "ucc": f"{tag}{n:05d}",
    }


def sign_up(s: requests.Session, base: str, form: dict[str, str]) -> dict:
    """GET /signup, then POST it; returns statuses, POST latency and whether it worked."""
    s.cookies.clear()  # a new visitor each time, on the same keep-alive connection
    out: dict = {"get": None, "post": None, "latency": None, "ok": False, "error": None}
    try:
        page = s.get(base + "/signup", timeout=30)
        out["get"] = page.status_code
        token = hidden_value(page.text, "csrf_token")
        if page.status_code != 200 or not token:
            out["error"] = (
                f"GET /signup {page.status_code}, csrf token found: {bool(token)}"
            )
            return out
        start = time.perf_counter()
        response = s.post(
            base + "/signup",
            data={"csrf_token": token, **form},
            allow_redirects=False,
            timeout=60,
        )
        out["latency"] = time.perf_counter() - start
        out["post"] = response.status_code
        location = response.headers.get("Location", "")
        out["ok"] = response.status_code == 302 and location.rstrip("/").endswith(
            "/account"
        )
        if not out["ok"]:
            out["error"] = (
                f"POST /signup {response.status_code} Location={location!r}: "
                + (response.text[:300].replace("\n", " "))
            )
    except requests.RequestException as error:
        out["error"] = f"{type(error).__name__}: {error}"
    return out


def run_signups(base: str, tag: str, count: int, clients: int, start_at: int = 0):
    """`count` signups from `clients` threads, each with its own requests.Session."""
    forms = {n: signup_form(n, tag) for n in range(start_at, start_at + count)}
    work: queue.Queue[int] = queue.Queue()
    for n in forms:
        work.put(n)
    results: dict[int, dict] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + 300

    def client() -> None:
        s = session()
        try:
            while time.monotonic() < deadline:
                try:
                    n = work.get_nowait()
                except queue.Empty:
                    return
                result = sign_up(s, base, forms[n])
                result["done"] = time.time()
                with lock:
                    results[n] = result
        finally:
            s.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, deadline - time.monotonic() + 5))
    elapsed = time.perf_counter() - start
    return forms, results, elapsed


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def start(
    name: str, hard_timeout: int, description: str
) -> tuple[Path, Path, Processes]:
    """Parse `--bin`, arm the hard deadline; return the venv's bin, a log folder, processes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--bin", help="the venv's bin directory (default: this Python's)"
    )
    args = parser.parse_args()
    install_deadline(hard_timeout)
    logs = log_dir(name)
    return bin_dir(args.bin), logs, Processes(logs)
