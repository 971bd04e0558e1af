"""`make load`, part 1: 200 signups in scenario A make 200 users and 200 Stripe
customers, each with its user's metadata; and what parts 1 and 2 share."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import psycopg

from harness import (
    Run,
    app_env,
    connect,
    free_port,
    prepare_database,
    server_errors,
    serving,
)
from report import Checks
from signups import Signups, signups
from traffic import ms

SIGNUPS = 200
CLIENTS = 20


@dataclass(frozen=True)
class User:
    public_id: str
    email: str
    ucc: str | None
    customer: str | None
    customer_error: str | None
    org: str | None


def users(conn: psycopg.Connection[tuple[Any, ...]]) -> list[User]:
    rows = conn.execute(
        "SELECT u.public_id, u.email, u.ucc, u.stripe_customer_id,"
        " u.stripe_customer_error, o.public_id"
        " FROM users u LEFT JOIN organizations o ON o.id = u.organization_id"
    ).fetchall()
    return [User(*row) for row in rows]


def check_signups(checks: Checks, label: str, run: Signups) -> None:
    """Print the throughput and statuses; every signup ran and answered 302, no 5xx."""
    print(
        f"  {label}: {run.ok}/{len(run.forms)} signups in {run.elapsed:.1f} s = "
        f"{run.rate:.1f} signups/s; POST latency p50 {ms(run.p(50))}, "
        f"p95 {ms(run.p(95))}, p99 {ms(run.p(99))}",
        flush=True,
    )
    print(f"  statuses: {run.statuses}", flush=True)
    for error in run.errors[:5]:
        print(f"    e.g. {error}", flush=True)
    checks.check(
        run.missing == 0,
        "every signup was attempted",
        f"{label}: {run.missing} signups never ran (timeout)",
    )
    checks.check(
        run.ok == len(run.forms),
        f"all {run.ok} signups answered 302 → /account",
        f"{label}: {len(run.forms) - run.ok} signups did not answer 302 → /account",
    )
    fivexx = sum(n for k, n in run.statuses.items() if re.search(r" 5\d\d$", k))
    checks.check(fivexx == 0, "no 5xx", f"{label}: {fivexx} responses were 5xx")


def print_log_errors(log: str) -> None:
    errors = server_errors(log)
    if errors:
        print(f"  log has {len(errors)} error lines, e.g.: {errors[:3]}", flush=True)


@dataclass(frozen=True)
class ScenarioA:
    signups: Signups
    users: int
    customers: int
    mismatches: int


def scenario_a(run: Run, checks: Checks, url: str) -> ScenarioA:
    print("\n== 1. Signups, scenario A (customer_at_signup) ==", flush=True)
    env = app_env(url, free_port(), MOONLY_REFERRAL_FLOW="customer_at_signup")
    prepare_database(run.bin, env)
    with serving(run, "gunicorn-a", env) as (base, _):
        signed = signups(base, "loada", SIGNUPS, CLIENTS)
    check_signups(checks, "scenario A", signed)
    with connect(url) as conn:
        made = users(conn)
        customers: dict[str, dict[str, Any]] = dict(
            conn.execute(
                "SELECT id, data FROM stripe_sandbox.sandbox_objects"
                " WHERE object = 'customer' AND NOT deleted"
            ).fetchall()
        )
    checks.check(
        len(made) == SIGNUPS,
        f"{len(made)} users",
        f"scenario A: {len(made)} users, expected {SIGNUPS}",
    )
    checks.check(
        len(customers) == SIGNUPS,
        f"{len(customers)} Stripe customers in the sandbox",
        f"scenario A: {len(customers)} sandbox customers, expected {SIGNUPS}",
    )
    mismatches = check_customers(checks, signed, made, customers)
    print_log_errors(run.procs.log_text("gunicorn-a"))
    return ScenarioA(signed, len(made), len(customers), mismatches)


def check_customers(
    checks: Checks,
    signed: Signups,
    made: list[User],
    customers: dict[str, dict[str, Any]],
) -> int:
    """Each user has a customer of its own with the user's metadata; return the
    mismatches."""
    sent = {form["email"]: form for form in signed.forms}
    bad_meta, unlinked, linked = [], [], Counter[str]()
    for user in made:
        form = sent.get(user.email)
        if form is None or user.ucc != form["ucc"]:
            bad_meta.append(f"user {user.email}: ucc {user.ucc!r} is not the one sent")
        if not user.customer or user.customer not in customers:
            unlinked.append(
                f"{user.email} stripe_customer_id={user.customer!r}"
                f" error={user.customer_error!r}"
            )
            continue
        linked[user.customer] += 1
        expected = {"cello_ucc": user.ucc, "new_user_id": user.public_id}
        if user.org:
            expected["new_user_organization_id"] = user.org
        metadata = customers[user.customer].get("metadata")
        if metadata != expected:
            bad_meta.append(f"{user.customer}: metadata {metadata} != {expected}")
    shared = [cid for cid, n in linked.items() if n > 1]
    orphans = sorted(set(customers) - set(linked))
    checks.check(
        not unlinked,
        "every user has stripe_customer_id set to its customer",
        f"scenario A: {len(unlinked)} users without their customer,"
        f" e.g. {unlinked[:3]}",
    )
    checks.check(
        not bad_meta,
        "every customer's metadata is {cello_ucc, new_user_id[,"
        " new_user_organization_id]} of its user",
        f"scenario A: {len(bad_meta)} metadata mismatches, e.g. {bad_meta[:3]}",
    )
    checks.check(
        not shared and not orphans,
        "one customer per user, none orphaned",
        f"scenario A: customers shared {shared[:3]}, orphaned {orphans[:3]}",
    )
    return len(bad_meta)
