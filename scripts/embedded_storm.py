"""`make storm`: concurrent signups against `flask run` on the embedded SQLite default.

Serves the app as `make run` does (development settings, SQLite in a fresh folder, the
in-process Stripe sandbox on its sibling file), with rate limits off, and sends 3 rounds
of 60 signups from 12 concurrent clients. Then checks every signup made exactly one user
and one Stripe customer with Cello's metadata. Exits 1 on any 5xx, loss or duplicate.
"""

from __future__ import annotations

import collections
import sys
import tempfile
from pathlib import Path

import _harness as h

sys.path.insert(0, str(h.ROOT))

ROUNDS, SIGNUPS, CLIENTS = 3, 60, 12


def check(env: dict[str, str], emails: set[str]) -> list[str]:
    """Users, customers and metadata as the app and its sandbox hold them."""
    import os

    os.environ.update(env)
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
            meta = customers[0].metadata.to_dict()
            if (
                customers[0].id != user.stripe_customer_id
                or meta.get("new_user_id") != user.public_id
                or meta.get("cello_ucc") != user.ucc
            ):
                problems.append(f"{email}: customer does not match the user")
    return problems


def main() -> int:
    bin_, logs, procs = h.start("storm", 600, __doc__ or "")
    folder = Path(tempfile.mkdtemp(prefix="moonly-storm-"))
    port = h.free_port()
    env = h.app_env(
        f"sqlite:///{folder / 'moonly.sqlite3'}",
        port,
        MOONLY_ENV="development",
        STRIPE_SANDBOX_DELIVER="1",
    )
    for key in ("STRIPE_SANDBOX", "STRIPE_WEBHOOK_SECRET"):
        env.pop(key)
    base = f"http://127.0.0.1:{port}"
    statuses: collections.Counter[str] = collections.Counter()
    emails: set[str] = set()
    try:
        h.prepare_database(bin_, env)
        server = procs.start(
            "flask",
            [str(bin_ / "flask"), "run", "--host", "127.0.0.1", "--port", str(port)],
            env,
        )
        h.wait_ready(base, server)
        print(f"flask run on {base}, SQLite in {folder}")
        for round_ in range(ROUNDS):
            forms, results, elapsed = h.run_signups(
                base, "storm", SIGNUPS, CLIENTS, start_at=round_ * SIGNUPS
            )
            emails |= {f["email"] for f in forms.values()}
            counts = collections.Counter(str(r["post"]) for r in results.values())
            statuses.update(counts)
            print(
                f"round {round_ + 1}: {SIGNUPS} signups from {CLIENTS} clients in "
                f"{elapsed:.1f} s: {dict(sorted(counts.items()))}"
            )
        procs.stop(server)
        problems = check(env, emails)
    finally:
        procs.stop_all()
    log = procs.log_text("flask")
    refused = [line for line in log.splitlines() if "Database refused" in line]
    five = sum(n for s, n in statuses.items() if s.startswith("5"))
    print(f"5xx: {five}; database refusals logged: {len(refused)}")
    for line in sorted(set(refused))[:5]:
        print("  " + line.strip())
    for problem in problems[:10]:
        print("  PROBLEM " + problem)
    print(f"lost or mismatched: {len(problems)} (logs in {logs})")
    return 1 if five or problems or sum(statuses.values()) != ROUNDS * SIGNUPS else 0


if __name__ == "__main__":
    sys.exit(main())
