"""`make load`, part 3: a webhook storm on scenario A's database.

Subscriptions, updates, cancellations and refunds are made through the app's Stripe
module; then the sandbox's first 500 events are each delivered 3 times, concurrently,
in random order. Each must be stored and processed once, and Moonly's subscriptions,
invoices and charges must equal the sandbox's.
"""

# ruff: noqa: S311 - shuffling deliveries, not security

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from harness import ROOT, Run, app_env, connect, free_port, serving
from load_signups import CLIENTS, print_log_errors
from report import Checks
from traffic import Answer, Client, fan_out, webhook_sender

STORM_EVENTS = 500
STORM_COPIES = 3
STORM_USERS = 40
REDELIVERIES = 5  # rounds that resend the deliveries answered 409 (a concurrent twin)
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Storm:
    events: int
    posts: int
    elapsed: float
    outcomes: dict[str, int]
    failures: int
    stored: int
    mismatches: int


def storm(run: Run, checks: Checks, url: str) -> Storm | None:
    print("\n== 3. Webhook storm (scenario-A database) ==", flush=True)
    total = make_stripe_objects(url)
    if total < STORM_EVENTS:
        checks.problem(f"storm: only {total} sandbox events, need {STORM_EVENTS}")
        return None
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT id, type, data FROM stripe_sandbox.sandbox_events"
            " ORDER BY created_ns, id LIMIT %s",
            (STORM_EVENTS,),
        ).fetchall()
    events = {eid: json.dumps(data) for eid, _, data in rows}
    types = Counter(t for _, t, _ in rows)
    print(f"  {len(events)} events, {len(types)} types: {dict(types.most_common())}")

    env = app_env(url, free_port(), MOONLY_REFERRAL_FLOW="customer_at_signup")
    post = webhook_sender(env["STRIPE_WEBHOOK_SECRET"], "/webhooks/stripe")
    with serving(run, "gunicorn-storm", env) as (base, _):
        answers, elapsed = deliver(checks, base, events, post)
    print_log_errors(run.procs.log_text("gunicorn-storm"))
    return check_storm(checks, url, rows, answers, elapsed)


def deliver(
    checks: Checks,
    base: str,
    events: dict[str, str],
    post: Callable[[Client, str], Answer],
) -> tuple[list[tuple[str, Answer]], float]:
    """Each event STORM_COPIES times, shuffled; then resend what was answered 409."""
    seed = random.randrange(1 << 30)
    pending = [eid for eid in events for _ in range(STORM_COPIES)]
    random.Random(seed).shuffle(pending)
    answers: list[tuple[str, Answer]] = []
    started = time.perf_counter()
    for round_no in range(1 + REDELIVERIES):
        if not pending:
            break
        if round_no:
            time.sleep(0.5)
        sent = fan_out(
            base, pending, CLIENTS, lambda c, eid: post(c, events[eid]), seconds=180
        )
        if len(sent.sent) < len(pending):
            left = len(pending) - len(sent.sent)
            checks.problem(f"storm: {left} deliveries not sent before the deadline")
        answers += sent.sent
        pending = [eid for eid, answer in sent.sent if answer.status == 409]
    elapsed = time.perf_counter() - started
    if pending:
        checks.problem(f"storm: {len(pending)} deliveries still 409 after redeliveries")
    print(
        f"  {len(answers)} POSTs in {elapsed:.1f} s = {len(answers) / elapsed:.0f}"
        f" requests/s, {len(events) / elapsed:.0f} unique events/s"
        f" (shuffle seed {seed})",
        flush=True,
    )
    return answers, elapsed


def check_storm(
    checks: Checks,
    url: str,
    rows: list[Row],
    answers: list[tuple[str, Answer]],
    elapsed: float,
) -> Storm:
    """Every delivery answered; each event new once; stored and processed once; and
    Moonly's records equal the sandbox's."""
    events = {row[0] for row in rows}
    outcomes = Counter("200 new" if a.label == "200" else a.label for _, a in answers)
    print(f"  outcomes: {dict(outcomes)}", flush=True)
    failures = [
        f"{eid}: HTTP {a.status} {a.text[:200]}" if a.status else f"{eid}: {a.error}"
        for eid, a in answers
        if a.status not in (200, 409)
    ]
    for failure in failures[:5]:
        print(f"    e.g. {failure}", flush=True)
    fivexx = sum(1 for _, a in answers if a.status and a.status >= 500)
    new = Counter(eid for eid, a in answers if a.label == "200")
    doubled = [eid for eid, n in new.items() if n > 1]
    never = sorted(events - set(new))
    checks.check(
        not failures,
        "every delivery answered 200 (or 409, redelivered)",
        f"storm: {len(failures)} deliveries failed ({fivexx} 5xx)",
    )
    checks.check(
        not doubled,
        "no event was processed as new twice",
        f"storm: {len(doubled)} events answered as new more than once, "
        f"e.g. {doubled[:3]}",
    )
    checks.check(
        not never,
        "every event was answered as new exactly once",
        f"storm: {len(never)} events never answered as new, e.g. {never[:3]}",
    )
    with connect(url) as conn:
        stored = conn.execute(
            "SELECT id, processed_at IS NOT NULL, error FROM stripe_events"
        ).fetchall()
        mismatches = compare_records(conn, rows)
    unprocessed = [row for row in stored if not row[1] or row[2]]
    checks.check(
        len(stored) == len(events) and {row[0] for row in stored} == events,
        f"stripe_events has exactly {len(stored)} rows, the delivered ones",
        f"storm: stripe_events has {len(stored)} rows, expected {len(events)}",
    )
    checks.check(
        not unprocessed,
        "all processed, no error",
        f"storm: {len(unprocessed)} stored events unprocessed or with an error, "
        f"e.g. {unprocessed[:3]}",
    )
    checks.check(
        not mismatches,
        "Moonly's subscriptions, invoices and charges equal the sandbox's",
        f"storm: {len(mismatches)} mismatches, e.g. {mismatches[:5]}",
    )
    return Storm(
        len(events),
        len(answers),
        elapsed,
        dict(outcomes),
        len(failures),
        len(stored),
        len(mismatches),
    )


# What Moonly holds against what the sandbox holds: (query, the sandbox's figures)
RECORDS: dict[str, tuple[str, Callable[[dict[str, Any]], Row]]] = {
    "subscription": (
        "SELECT id, status, cancel_at_period_end, current_period_end"
        " FROM subscriptions WHERE id = ANY(%s)",
        lambda d: (
            d["status"],
            bool(d["cancel_at_period_end"]),
            d["items"]["data"][0]["current_period_end"],
        ),
    ),
    "invoice": (
        "SELECT id, status, total, amount_paid FROM invoices WHERE id = ANY(%s)",
        lambda d: (d["status"], d["total"], d["amount_paid"]),
    ),
    "charge": (
        "SELECT id, amount, amount_refunded, refunded FROM charges WHERE id = ANY(%s)",
        lambda d: (d["amount"], d["amount_refunded"], bool(d["refunded"])),
    ),
}


def compare_records(conn: psycopg.Connection[Row], rows: list[Row]) -> list[str]:
    """Every subscription, invoice and charge an event was about: Moonly's row = the
    sandbox's."""
    ids: dict[str, set[str]] = {kind: set() for kind in RECORDS}
    for _, _, data in rows:
        obj = data["data"]["object"]
        if obj.get("object") in ids:
            ids[obj["object"]].add(obj["id"])
    sandbox: dict[str, dict[str, Any]] = dict(
        conn.execute(
            "SELECT id, data FROM stripe_sandbox.sandbox_objects WHERE id = ANY(%s)",
            (sorted(set().union(*ids.values())),),
        ).fetchall()
    )
    mismatches: list[str] = []
    for kind, (sql, expected_of) in RECORDS.items():
        found = conn.execute(sql, (sorted(ids[kind]),)).fetchall()
        moonly = {row[0]: tuple(row[1:]) for row in found}
        for oid in sorted(ids[kind]):
            if oid not in sandbox:
                mismatches.append(f"{kind} {oid}: not in the sandbox")
            elif moonly.get(oid) != (expected := expected_of(sandbox[oid])):
                mismatches.append(
                    f"{kind} {oid}: Moonly {moonly.get(oid)} != sandbox {expected}"
                )
        print(f"  compared {len(ids[kind])} {kind}s", flush=True)
    return mismatches


def make_stripe_objects(url: str) -> int:
    """Subscriptions, customer updates, cancellations and refunds through the app's
    Stripe module, until the sandbox holds STORM_EVENTS events; return how many."""
    os.environ.update(app_env(url, 5000, MOONLY_REFERRAL_FLOW="customer_at_signup"))
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from moonly import create_app
    from moonly.accounts.models import User
    from moonly.billing import stripe_api
    from moonly.billing.catalog import NEW_USER_COUPON_ID
    from moonly.extensions import db
    from moonly.stripe_sandbox.models import SandboxEvent

    app = create_app()
    made: Counter[str] = Counter()
    # The sandbox keeps its events in its own tables (schema stripe_sandbox).
    sandbox = stripe_api.in_process_sandbox(app)
    assert sandbox is not None

    def event_count() -> int:
        with Session(sandbox.engine) as session:
            return session.scalar(select(func.count()).select_from(SandboxEvent)) or 0

    with app.app_context():
        stripe = stripe_api.client().v1
        price = stripe_api.prices_by_lookup_key(["moonly_starter_monthly"])
        linked = select(User).where(User.stripe_customer_id.is_not(None))
        for i, user in enumerate(db.session.scalars(linked.order_by(User.id)).all()):
            if i >= STORM_USERS and event_count() >= STORM_EVENTS:
                break
            customer = user.stripe_customer_id
            assert customer is not None
            pm = stripe_api.attach_payment_method(
                "pm_card_visa",
                customer_id=customer,
                idempotency_key=f"load-pm-{user.public_id}",
            )
            sub = stripe_api.create_subscription(
                customer_id=customer,
                price_id=price["moonly_starter_monthly"].id,
                payment_method_id=pm.id,
                metadata={"new_user_id": user.public_id, "cello_ucc": user.ucc or ""},
                coupon_id=NEW_USER_COUPON_ID,
                idempotency_key=f"load-sub-{user.public_id}",
            )
            made["subscriptions"] += 1
            stripe.customers.update(
                customer, params={"description": f"load test update {i}"}
            )
            made["customer updates"] += 1
            if i % 4 == 0:
                stripe_api.cancel_at_period_end(sub.id)
                made["cancel_at_period_end"] += 1
            if i % 5 == 0:
                charges = stripe.charges.list(
                    params={"customer": customer, "limit": 10}
                )
                for charge in charges.data[:1]:
                    amount = 100 if i % 10 else charge.amount
                    stripe.refunds.create(
                        params={"charge": charge.id, "amount": amount}
                    )
                    made["refunds"] += 1
            db.session.remove()
        total = event_count()
        db.engine.dispose()
        sandbox.dispose()
    print(f"  made in the sandbox: {dict(made)}; sandbox_events now {total}")
    return total
