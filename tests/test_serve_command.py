"""`flask serve`, what `make run` runs: one process migrates a new database, creates the
Stripe catalog in the offline sandbox and serves, with the app's own logging kept."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from test_limits_across_workers import ROOT, free_port


def test_serve_migrates_bootstraps_and_serves_in_one_process(tmp_path: Path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STRIPE_", "CELLO_", "MOONLY_", "RATELIMIT_", "FLASK_"))
    }
    env.update(
        MOONLY_ENV="development",
        DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}",
        STRIPE_SANDBOX_DATABASE_URL=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
        HOST="127.0.0.1",
        PORT=str(port),
        CELLO_BACKGROUND_DELIVERY="0",
        FLASK_APP="wsgi:app",
        FLASK_SKIP_DOTENV="1",
    )
    flask = Path(sys.executable).parent / "flask"
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(flask), "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "no answer within 60 s"
            try:
                home = requests.get(base + "/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert home.status_code == 200
        pricing = requests.get(base + "/pricing", timeout=10)
        assert pricing.status_code == 200
        assert "$12.00/month" in pricing.text  # the catalog exists: bootstrapped
    finally:
        process.terminate()
        process.wait(timeout=30)

    output = log.read_text()
    lines = output.splitlines()
    migrated = next(i for i, x in enumerate(lines) if "Running upgrade  -> 0001" in x)
    created = lines.index("  created  coupon moonly-new-user")
    console = lines.index(f"The demo console: http://127.0.0.1:{port}/demo/")
    running = next(i for i, x in enumerate(lines) if "Running on" in x)
    assert migrated < created < console < running
    # After the migrations the app's logging is its own again, INFO included.
    assert "INFO werkzeug: 127.0.0.1" in output
    assert "INFO moonly.billing.local_webhooks: Stripe sandbox" in output
