"""Load test: signups (scenarios A and B) and a webhook storm against Moonly (gunicorn).

    make load            # or: .venv/bin/python scripts/load.py --bin .venv/bin

Each part gets the app on a fresh PostgreSQL database (moonly_load for scenario A and
the webhook storm, moonly_load_b for scenario B), served by gunicorn with 2 workers × 4
threads. Exits 1 when anything was lost or duplicated, a record disagrees with the
sandbox, or any 5xx was seen. Every process it starts is killed on the way out; every
wait is bounded.
"""

from __future__ import annotations

import sys
import time

import harness
import report
from load_scenario_b import ScenarioB, scenario_b
from load_signups import ScenarioA, scenario_a
from load_storm import STORM_COPIES, Storm, storm

HARD_TIMEOUT = 600  # the whole run, seconds


def main() -> int:
    run = harness.start("load", HARD_TIMEOUT, (__doc__ or "").splitlines()[0])
    print(f"Moonly load test; logs in {run.logs}", flush=True)
    checks = report.Checks()
    a: ScenarioA | None = None
    b: ScenarioB | None = None
    webhooks: Storm | None = None
    started = time.perf_counter()
    try:
        url_a = harness.fresh_database("moonly_load")
        a = scenario_a(run, checks, url_a)
        b = scenario_b(run, checks, harness.fresh_database("moonly_load_b"))
        webhooks = storm(run, checks, url_a)
    except (harness.HardTimeout, KeyboardInterrupt) as error:
        checks.problem(f"stopped: {error}")
    finally:
        run.procs.stop_all()
        harness.disarm_deadline()
    summary = report.render(
        "load_summary.txt",
        a=a,
        b=b,
        storm=webhooks,
        copies=STORM_COPIES,
        seconds=time.perf_counter() - started,
        logs=run.logs,
        problems=checks.problems,
    )
    print(summary, end="")
    return 1 if checks.problems else 0


if __name__ == "__main__":
    sys.exit(main())
