"""`make storm`: concurrent signups against `flask run` on the embedded SQLite default.

Serves the app as `make run` does (development settings, SQLite in a fresh folder, the
in-process Stripe sandbox on its sibling file), with rate limits off, and sends 3 rounds
of 60 signups from 12 concurrent clients. Then checks every signup made exactly one user
and one Stripe customer with Cello's metadata. Exits 1 on any 5xx, loss or duplicate.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import harness
from signups import signups

ROUNDS, SIGNUPS, CLIENTS = 3, 60, 12


def main() -> int:
    run = harness.start("storm", 600, __doc__ or "")
    folder = Path(tempfile.mkdtemp(prefix="moonly-storm-"))
    port = harness.free_port()
    env = harness.app_env(
        f"sqlite:///{folder / 'moonly.sqlite3'}",
        port,
        MOONLY_ENV="development",
        STRIPE_SANDBOX_DELIVER="1",
    )
    for key in ("STRIPE_SANDBOX", "STRIPE_WEBHOOK_SECRET"):
        env.pop(key)
    base = f"http://127.0.0.1:{port}"
    statuses: Counter[str] = Counter()
    emails: set[str] = set()
    try:
        harness.prepare_database(run.bin, env)
        flask_run = ("run", "--host", "127.0.0.1", "--port", str(port))
        server = run.procs.start("flask", harness.flask_cmd(run.bin, *flask_run), env)
        harness.wait_ready(base, server)
        print(f"flask run on {base}, SQLite in {folder}")
        for round_ in range(ROUNDS):
            sent = signups(base, "storm", SIGNUPS, CLIENTS, start_at=round_ * SIGNUPS)
            emails |= {form["email"] for form in sent.forms}
            counts = Counter(str(r.post) for r in sent.results)
            statuses.update(counts)
            print(
                f"round {round_ + 1}: {SIGNUPS} signups from {CLIENTS} clients in "
                f"{sent.elapsed:.1f} s: {dict(sorted(counts.items()))}"
            )
        run.procs.stop(server)
        problems = check(env, emails)
    finally:
        run.procs.stop_all()
    log = run.procs.log_text("flask")
    refused = [line for line in log.splitlines() if "Database refused" in line]
    five = sum(n for s, n in statuses.items() if s.startswith("5"))
    print(f"5xx: {five}; database refusals logged: {len(refused)}")
    for line in sorted(set(refused))[:5]:
        print("  " + line.strip())
    for problem in problems[:10]:
        print("  PROBLEM " + problem)
    print(f"lost or mismatched: {len(problems)} (logs in {run.logs})")
    return 1 if five or problems or statuses.total() != ROUNDS * SIGNUPS else 0


def check(env: dict[str, str], emails: set[str]) -> list[str]:
    """Users, customers and metadata as the app and its sandbox hold them."""
    os.environ.update(env)
    sys.path.insert(0, str(harness.ROOT))
    from sqlalchemy import select

    from moonly import create_app
    from moonly.accounts.models import User
    from moonly.billing import stripe_api
    from moonly.extensions import db

    problems = []
    app = create_app(env="development")
    with app.app_context():
        users = {u.email: u for u in db.session.scalars(select(User))}
        missing = emails - set(users)
        if missing:
            problems.append(f"{len(missing)} signups made no user")
        for email in sorted(emails & set(users)):
            user = users[email]
            customers = stripe_api.customers_with_email(email)
            if len(customers) != 1:
                problems.append(f"{email}: {len(customers)} customers")
                continue
            metadata = customers[0].metadata
            meta = metadata.to_dict() if metadata else {}
            if (
                customers[0].id != user.stripe_customer_id
                or meta.get("new_user_id") != user.public_id
                or meta.get("cello_ucc") != user.ucc
            ):
                problems.append(f"{email}: customer does not match the user")
    return problems


if __name__ == "__main__":
    sys.exit(main())
