"""Load test: signups (scenarios A and B) and a webhook storm against Moonly under gunicorn.

    make load            # or: .venv/bin/python scripts/load.py --bin .venv/bin

Each part gets the app on a fresh PostgreSQL database (moonly_load for scenario A and the
webhook storm, moonly_load_b for scenario B), served by gunicorn with 2 workers × 4 threads.
Exits 1 when anything was lost or duplicated, a record disagrees with the sandbox, or any
5xx was seen. Every process it starts is killed on the way out; every wait is bounded.
"""

# ruff: noqa: S311 - shuffling deliveries, not security

from __future__ import annotations

import json
import os
import queue
import random
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # moonly

import _harness as h  # noqa: E402

SIGNUPS = 200
CLIENTS = 20
STORM_EVENTS = 500
STORM_COPIES = 3
STORM_USERS = 40
DELIVERY_WAIT = 60.0
HARD_TIMEOUT = 600  # the whole run, seconds

problems: list[str] = []  # anything lost, duplicated, mismatched, or a 5xx
summary: list[str] = []


def problem(text: str) -> None:
    problems.append(text)
    print(f"  PROBLEM: {text}", flush=True)


def check(condition: bool, ok: str, bad: str) -> None:
    if condition:
        print(f"  ok: {ok}", flush=True)
    else:
        problem(bad)


# Signups


def report_signups(label: str, forms, results, elapsed) -> tuple[Counter, float]:
    statuses: Counter = Counter()
    for r in results.values():
        statuses[f"GET {r['get']}"] += 1
        if r["post"] is not None:
            statuses[f"POST {r['post']}"] += 1
        if r["error"] and r["get"] is None:
            statuses["connection error"] += 1
    latencies = [r["latency"] for r in results.values() if r["latency"] is not None]
    ok = sum(1 for r in results.values() if r["ok"])
    print(
        f"  {label}: {ok}/{len(forms)} signups in {elapsed:.1f} s = "
        f"{ok / elapsed:.1f} signups/s; POST latency p50 {h.ms(h.percentile(latencies, 50))}, "
        f"p95 {h.ms(h.percentile(latencies, 95))}, p99 {h.ms(h.percentile(latencies, 99))}",
        flush=True,
    )
    print(f"  statuses: {dict(sorted(statuses.items()))}", flush=True)
    errors = [r["error"] for r in results.values() if r["error"]]
    for error in errors[:5]:
        print(f"    e.g. {error}", flush=True)
    missing = len(forms) - len(results)
    check(
        missing == 0,
        "every signup was attempted",
        f"{label}: {missing} signups never ran (timeout)",
    )
    check(
        ok == len(forms),
        f"all {ok} signups answered 302 → /account",
        f"{label}: {len(forms) - ok} signups did not answer 302 → /account",
    )
    fivexx = sum(n for k, n in statuses.items() if re.search(r" 5\d\d$", k))
    check(fivexx == 0, "no 5xx", f"{label}: {fivexx} responses were 5xx")
    return statuses, ok / elapsed if elapsed else 0.0


def user_rows(conn) -> list[dict]:
    rows = conn.execute(
        "SELECT u.id, u.public_id, u.email, u.ucc, u.stripe_customer_id,"
        " u.stripe_customer_error, o.public_id"
        " FROM users u LEFT JOIN organizations o ON o.id = u.organization_id"
    ).fetchall()
    keys = ("id", "public_id", "email", "ucc", "customer", "customer_error", "org")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def scenario_a(bin_: Path, procs: h.Processes, url: str) -> None:
    print("\n== 1. Signups, scenario A (customer_at_signup) ==", flush=True)
    port = h.free_port()
    env = h.app_env(url, port, MOONLY_REFERRAL_FLOW="customer_at_signup")
    h.prepare_database(bin_, env)
    server = procs.start("gunicorn-a", h.gunicorn_cmd(bin_, "wsgi:app", port), env)
    base = f"http://127.0.0.1:{port}"
    print(
        f"  gunicorn ready in {h.wait_ready(base, server):.1f} s on {base}", flush=True
    )
    try:
        forms, results, elapsed = h.run_signups(base, "loada", SIGNUPS, CLIENTS)
    finally:
        procs.stop(server)
    statuses, rate = report_signups("scenario A", forms, results, elapsed)
    latencies = [r["latency"] for r in results.values() if r["latency"] is not None]

    with h.connect(url) as conn:
        users = user_rows(conn)
        customers = {
            cid: data
            for cid, data in conn.execute(
                "SELECT id, data FROM stripe_sandbox.sandbox_objects WHERE object = 'customer' AND NOT deleted"
            ).fetchall()
        }
    check(
        len(users) == SIGNUPS,
        f"{len(users)} users",
        f"scenario A: {len(users)} users, expected {SIGNUPS}",
    )
    check(
        len(customers) == SIGNUPS,
        f"{len(customers)} Stripe customers in the sandbox",
        f"scenario A: {len(customers)} sandbox customers, expected {SIGNUPS}",
    )
    sent = {f["email"]: f for f in forms.values()}
    bad_meta, unlinked, linked_ids = [], [], Counter()
    for user in users:
        form = sent.get(user["email"])
        if form is None or user["ucc"] != form["ucc"]:
            bad_meta.append(
                f"user {user['email']}: ucc {user['ucc']!r} is not the one sent"
            )
        if not user["customer"] or user["customer"] not in customers:
            unlinked.append(
                f"{user['email']} stripe_customer_id={user['customer']!r} error={user['customer_error']!r}"
            )
            continue
        linked_ids[user["customer"]] += 1
        expected = {"cello_ucc": user["ucc"], "new_user_id": user["public_id"]}
        if user["org"]:
            expected["new_user_organization_id"] = user["org"]
        metadata = customers[user["customer"]].get("metadata")
        if metadata != expected:
            bad_meta.append(f"{user['customer']}: metadata {metadata} != {expected}")
    shared = [cid for cid, n in linked_ids.items() if n > 1]
    orphans = set(customers) - set(linked_ids)
    check(
        not unlinked,
        "every user has stripe_customer_id set to its customer",
        f"scenario A: {len(unlinked)} users without their customer, e.g. {unlinked[:3]}",
    )
    check(
        not bad_meta,
        "every customer's metadata is {cello_ucc, new_user_id[, new_user_organization_id]} of its user",
        f"scenario A: {len(bad_meta)} metadata mismatches, e.g. {bad_meta[:3]}",
    )
    check(
        not shared and not orphans,
        "one customer per user, none orphaned",
        f"scenario A: customers shared {shared[:3]}, orphaned {sorted(orphans)[:3]}",
    )
    errors = h.server_errors(procs.log_text("gunicorn-a"))
    if errors:
        print(
            f"  gunicorn log has {len(errors)} error lines, e.g.: {errors[:3]}",
            flush=True,
        )
    summary.append(
        f"Scenario A signups : {sum(r['ok'] for r in results.values())}/{SIGNUPS} ok, {elapsed:.1f} s, "
        f"{rate:.1f}/s, POST p50/p95/p99 {h.ms(h.percentile(latencies, 50))} / "
        f"{h.ms(h.percentile(latencies, 95))} / {h.ms(h.percentile(latencies, 99))}; "
        f"statuses {dict(sorted(statuses.items()))}; users {len(users)}, customers {len(customers)}, metadata mismatches {len(bad_meta)}"
    )


# Scenario B: the Cello stand-in on loopback


def start_cello_standin():
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    sys.path.insert(0, str(h.ROOT / "tests"))
    from cello_standin import CelloStandIn
    from werkzeug import Request, Response
    from werkzeug.serving import make_server

    standin = CelloStandIn()

    def app(environ, start_response):
        request = Request(environ)
        if request.method == "POST" and request.path == "/token":
            response = standin.token(request)
        elif request.method == "POST" and request.path == "/events":
            response = standin.events(request)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, name="cello-standin", daemon=True
    )
    thread.start()
    return standin, server, thread


def scenario_b(bin_: Path, procs: h.Processes, url: str) -> None:
    print(
        "\n== 2. Signups, scenario B (customer_at_purchase, Cello API stand-in) ==",
        flush=True,
    )
    standin, cello_server, cello_thread = start_cello_standin()
    cello_base = f"http://127.0.0.1:{cello_server.server_port}"
    print(f"  Cello stand-in on {cello_base}", flush=True)
    try:
        port = h.free_port()
        env = h.app_env(
            url,
            port,
            MOONLY_REFERRAL_FLOW="customer_at_purchase",
            CELLO_API_BASE=cello_base,
            CELLO_ACCESS_KEY_ID="key_test",
            CELLO_SECRET_ACCESS_KEY="secret_test",  # noqa: S106 - the stand-in's test key
            CELLO_BACKGROUND_DELIVERY="1",
        )
        h.prepare_database(bin_, env)
        server = procs.start("gunicorn-b", h.gunicorn_cmd(bin_, "wsgi:app", port), env)
        worker = procs.start(
            "cello-worker",
            [
                str(bin_ / "flask"),
                "--app",
                "wsgi:app",
                "cello",
                "deliver",
                "--loop",
                "--interval",
                "1",
            ],
            env,
        )
        base = f"http://127.0.0.1:{port}"
        print(
            f"  gunicorn ready in {h.wait_ready(base, server):.1f} s; `flask cello deliver --loop --interval 1` running",
            flush=True,
        )
        try:
            forms, results, elapsed = h.run_signups(base, "loadb", SIGNUPS, CLIENTS)
            last_signup = max(
                (r["done"] for r in results.values()), default=time.time()
            )
            statuses, rate = report_signups("scenario B", forms, results, elapsed)
            latencies = [
                r["latency"] for r in results.values() if r["latency"] is not None
            ]

            waited_start = time.monotonic()
            with h.connect(url) as conn:
                while True:
                    total, unsent = conn.execute(
                        "SELECT count(*), count(*) FILTER (WHERE status <> 'sent') FROM cello_events"
                    ).fetchone()
                    expected = sum(1 for r in results.values() if r["ok"])
                    if (
                        total >= expected and not unsent
                    ) or time.monotonic() - waited_start > DELIVERY_WAIT:
                        break
                    time.sleep(0.25)
                time.sleep(2.0)  # let a would-be double send arrive before counting
                if worker.poll() is not None:
                    problem(
                        f"the `flask cello deliver` worker exited with {worker.returncode}"
                    )
        finally:
            procs.stop(server)
            procs.stop(worker)

        with h.connect(url) as conn:
            users = user_rows(conn)
            events = conn.execute(
                "SELECT e.key, e.status, e.attempts, e.sent_at, e.last_error, u.public_id, u.ucc"
                " FROM cello_events e LEFT JOIN users u ON u.id = e.user_id"
            ).fetchall()
            customers = conn.execute(
                "SELECT count(*) FROM stripe_sandbox.sandbox_objects WHERE object = 'customer'"
            ).fetchone()[0]
        by_status = Counter(e[1] for e in events)
        attempts = Counter(e[2] for e in events)
        sent_times = [e[3].timestamp() for e in events if e[3] is not None]
        lag = (max(sent_times) - last_signup) if sent_times else float("nan")
        with standin.lock:
            accepted = list(standin.accepted)
            requests_seen = list(standin.requests)
            logins, refreshes = standin.logins, standin.refreshes
        keys = Counter(a["key"] for a in accepted)
        uccs = Counter(a["body"]["payload"]["ucc"] for a in accepted)
        event_posts = sum(1 for path, _ in requests_seen if path == "/events")
        worker_sent = sum(
            int(n)
            for n in re.findall(r"^(\d+) sent", procs.log_text("cello-worker"), re.M)
        )

        print(
            f"  cello_events: {len(events)}, by status {dict(by_status)}, attempts {dict(attempts)}; "
            f"all sent {time.monotonic() - waited_start - 2.0:.1f} s after the last signup answered",
            flush=True,
        )
        print(
            f"  delivery lag (last signup answered → last event sent): {lag:.2f} s; "
            f"stand-in: {len(accepted)} events accepted, {event_posts} POST /events, "
            f"{logins} logins, {refreshes} refreshes; worker process sent {worker_sent}, "
            f"web workers {len(accepted) - worker_sent}",
            flush=True,
        )
        check(
            len(users) == SIGNUPS,
            f"{len(users)} users",
            f"scenario B: {len(users)} users, expected {SIGNUPS}",
        )
        check(
            len(events) == SIGNUPS,
            f"{len(events)} cello_events",
            f"scenario B: {len(events)} cello_events, expected {SIGNUPS}",
        )
        check(
            by_status.get("sent", 0) == len(events) and events,
            "every cello_events row is 'sent'",
            f"scenario B: cello_events not all sent within {DELIVERY_WAIT:.0f} s: {dict(by_status)}; e.g. {[e[4] for e in events if e[1] != 'sent'][:3]}",
        )
        check(
            customers == 0,
            "0 Stripe customers",
            f"scenario B: {customers} Stripe customers, expected 0",
        )
        check(
            len(accepted) == SIGNUPS,
            f"the stand-in accepted exactly {len(accepted)} events",
            f"scenario B: the stand-in accepted {len(accepted)} events, expected {SIGNUPS}",
        )
        check(
            len(keys) == SIGNUPS and max(keys.values(), default=0) == 1,
            f"{len(keys)} distinct Idempotency-Keys, none repeated",
            f"scenario B: {len(keys)} distinct keys; repeated: {[k for k, n in keys.items() if n > 1][:5]}",
        )
        expected_uccs = {f["ucc"] for f in forms.values()}
        check(
            set(uccs) == expected_uccs and max(uccs.values(), default=0) == 1,
            "each ucc accepted exactly once",
            f"scenario B: uccs missing {sorted(expected_uccs - set(uccs))[:5]}, repeated {[u for u, n in uccs.items() if n > 1][:5]}",
        )
        check(
            {e[0] for e in events} == set(keys),
            "the accepted keys are exactly the outbox's keys",
            "scenario B: accepted Idempotency-Keys differ from cello_events.key",
        )
        errors = h.server_errors(
            procs.log_text("gunicorn-b") + procs.log_text("cello-worker")
        )
        if errors:
            print(f"  log error lines: {len(errors)}, e.g.: {errors[:3]}", flush=True)
        summary.append(
            f"Scenario B signups : {sum(r['ok'] for r in results.values())}/{SIGNUPS} ok, {elapsed:.1f} s, "
            f"{rate:.1f}/s, POST p50/p95/p99 {h.ms(h.percentile(latencies, 50))} / "
            f"{h.ms(h.percentile(latencies, 95))} / {h.ms(h.percentile(latencies, 99))}; "
            f"statuses {dict(sorted(statuses.items()))}; events {len(events)} ({dict(by_status)}), accepted {len(accepted)}, "
            f"distinct keys {len(keys)}, delivery lag {lag:.2f} s, customers {customers}"
        )
    finally:
        cello_server.shutdown()
        cello_thread.join(timeout=5)


# Webhook storm


def make_stripe_objects(url: str) -> int:
    """Subscriptions, customer updates, cancellations and refunds through the app's code."""
    os.environ.update(h.app_env(url, 5000, MOONLY_REFERRAL_FLOW="customer_at_signup"))
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from moonly import create_app
    from moonly.accounts.models import User
    from moonly.billing import stripe_api
    from moonly.billing.catalog import NEW_USER_COUPON_ID
    from moonly.extensions import db
    from moonly.stripe_sandbox.models import SandboxEvent

    app = create_app()
    made = Counter()
    # The sandbox keeps its events in its own tables (schema stripe_sandbox).
    sandbox = stripe_api.in_process_sandbox(app)
    assert sandbox is not None

    def event_count() -> int:
        with Session(sandbox.engine) as session:
            return session.scalar(select(func.count()).select_from(SandboxEvent)) or 0

    with app.app_context():
        price = stripe_api.prices_by_lookup_key(["moonly_starter_monthly"])[
            "moonly_starter_monthly"
        ]
        users = db.session.scalars(
            select(User).where(User.stripe_customer_id.is_not(None)).order_by(User.id)
        ).all()
        for i, user in enumerate(users):
            count = event_count()
            if i >= STORM_USERS and count >= STORM_EVENTS:
                break
            customer = user.stripe_customer_id
            pm = stripe_api.attach_payment_method(
                "pm_card_visa",
                customer_id=customer,
                idempotency_key=f"load-pm-{user.public_id}",
            )
            sub = stripe_api.create_subscription(
                customer_id=customer,
                price_id=price.id,
                payment_method_id=pm.id,
                metadata={"new_user_id": user.public_id, "cello_ucc": user.ucc or ""},
                coupon_id=NEW_USER_COUPON_ID,
                idempotency_key=f"load-sub-{user.public_id}",
            )
            made["subscriptions"] += 1
            stripe_api.client().v1.customers.update(
                customer, params={"description": f"load test update {i}"}
            )
            made["customer updates"] += 1
            if i % 4 == 0:
                stripe_api.cancel_at_period_end(sub.id)
                made["cancel_at_period_end"] += 1
            if i % 5 == 0:
                charges = stripe_api.client().v1.charges.list(
                    params={"customer": customer, "limit": 10}
                )
                for charge in charges.data[:1]:
                    stripe_api.client().v1.refunds.create(
                        params={
                            "charge": charge.id,
                            "amount": 100 if i % 10 else charge.amount,
                        }
                    )
                    made["refunds"] += 1
            db.session.remove()
        total = event_count()
        db.engine.dispose()
        sandbox.dispose()
    print(
        f"  made in the sandbox: {dict(made)}; sandbox_events now {total}", flush=True
    )
    return total


def storm(bin_: Path, procs: h.Processes, url: str) -> None:
    print("\n== 3. Webhook storm (scenario-A database) ==", flush=True)
    total = make_stripe_objects(url)
    if total < STORM_EVENTS:
        problem(f"storm: only {total} sandbox events, need {STORM_EVENTS}")
        return
    with h.connect(url) as conn:
        rows = conn.execute(
            "SELECT id, type, data FROM stripe_sandbox.sandbox_events ORDER BY created_ns, id LIMIT %s",
            (STORM_EVENTS,),
        ).fetchall()
    events = {eid: json.dumps(data) for eid, _, data in rows}
    types = Counter(t for _, t, _ in rows)
    print(
        f"  {len(events)} events, {len(types)} types: {dict(types.most_common())}",
        flush=True,
    )

    port = h.free_port()
    env = h.app_env(url, port, MOONLY_REFERRAL_FLOW="customer_at_signup")
    secret = env["STRIPE_WEBHOOK_SECRET"]
    server = procs.start("gunicorn-storm", h.gunicorn_cmd(bin_, "wsgi:app", port), env)
    base = f"http://127.0.0.1:{port}"
    print(f"  gunicorn ready in {h.wait_ready(base, server):.1f} s", flush=True)

    import stripe

    seed = random.randrange(1 << 30)
    deliveries = [eid for eid in events for _ in range(STORM_COPIES)]
    random.Random(seed).shuffle(deliveries)
    outcomes: Counter = Counter()
    new_by_event: Counter = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    started = time.perf_counter()
    try:
        pending = deliveries
        for round_no in range(6):  # the first pass, then bounded redeliveries of 409s
            if not pending:
                break
            if round_no:
                time.sleep(0.5)
            work: queue.Queue[str] = queue.Queue()
            for eid in pending:
                work.put(eid)
            retry: list[str] = []
            deadline = time.monotonic() + 180

            def client(work=work, retry=retry, deadline=deadline) -> None:
                s = h.session()
                try:
                    while time.monotonic() < deadline:
                        try:
                            eid = work.get_nowait()
                        except queue.Empty:
                            return
                        body = events[eid]
                        header = stripe.WebhookSignature.generate_signature_header(
                            body, secret
                        )
                        try:
                            r = s.post(
                                base + "/webhooks/stripe",
                                data=body.encode(),
                                headers={
                                    "Content-Type": "application/json",
                                    "Stripe-Signature": header,
                                },
                                timeout=60,
                            )
                        except Exception as error:  # noqa: BLE001 - counted as a failure
                            with lock:
                                outcomes["connection error"] += 1
                                failures.append(
                                    f"{eid}: {type(error).__name__}: {error}"
                                )
                            continue
                        with lock:
                            if r.status_code == 200:
                                duplicate = r.json().get("duplicate")
                                outcomes[
                                    "200 duplicate" if duplicate else "200 new"
                                ] += 1
                                if not duplicate:
                                    new_by_event[eid] += 1
                            elif r.status_code == 409:
                                outcomes["409"] += 1
                                retry.append(eid)
                            else:
                                outcomes[str(r.status_code)] += 1
                                failures.append(
                                    f"{eid}: HTTP {r.status_code} {r.text[:200]}"
                                )
                finally:
                    s.close()

            threads = [
                threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=max(1.0, deadline - time.monotonic() + 5))
            left = work.qsize()
            if left:
                problem(
                    f"storm: {left} deliveries not sent before the round's deadline"
                )
            pending = retry
        elapsed = time.perf_counter() - started
        if pending:
            problem(f"storm: {len(pending)} deliveries still 409 after 5 redeliveries")
    finally:
        procs.stop(server)

    posts = sum(outcomes.values())
    print(
        f"  {posts} POSTs in {elapsed:.1f} s = {posts / elapsed:.0f} requests/s, "
        f"{len(events) / elapsed:.0f} unique events/s (shuffle seed {seed})",
        flush=True,
    )
    print(f"  outcomes: {dict(outcomes)}", flush=True)
    for failure in failures[:5]:
        print(f"    e.g. {failure}", flush=True)
    fivexx = sum(n for k, n in outcomes.items() if k.isdigit() and k.startswith("5"))
    check(
        not failures,
        "every delivery answered 200 (or 409, redelivered)",
        f"storm: {len(failures)} deliveries failed ({fivexx} 5xx)",
    )
    doubled = [e for e, n in new_by_event.items() if n > 1]
    never = set(events) - set(new_by_event)
    check(
        not doubled,
        "no event was processed as new twice",
        f"storm: {len(doubled)} events answered as new more than once, e.g. {doubled[:3]}",
    )
    check(
        not never,
        "every event was answered as new exactly once",
        f"storm: {len(never)} events never answered as new, e.g. {sorted(never)[:3]}",
    )

    with h.connect(url) as conn:
        stored = conn.execute(
            "SELECT id, processed_at IS NOT NULL, error FROM stripe_events"
        ).fetchall()
        mismatches = compare_records(conn, rows)
    unprocessed = [sid for sid, done, error in stored if not done or error]
    check(
        len(stored) == len(events) and {s[0] for s in stored} == set(events),
        f"stripe_events has exactly {len(stored)} rows, the delivered ones",
        f"storm: stripe_events has {len(stored)} rows, expected {len(events)}",
    )
    check(
        not unprocessed,
        "all processed, no error",
        f"storm: {len(unprocessed)} stored events unprocessed or with an error, e.g. {[s for s in stored if not s[1] or s[2]][:3]}",
    )
    check(
        not mismatches,
        "Moonly's subscriptions, invoices and charges equal the sandbox's",
        f"storm: {len(mismatches)} mismatches, e.g. {mismatches[:5]}",
    )
    errors = h.server_errors(procs.log_text("gunicorn-storm"))
    if errors:
        print(
            f"  gunicorn log has {len(errors)} error lines, e.g.: {errors[:3]}",
            flush=True,
        )
    summary.append(
        f"Webhook storm      : {len(events)} events × {STORM_COPIES} = {posts} POSTs in {elapsed:.1f} s, "
        f"{posts / elapsed:.0f} POSTs/s ({len(events) / elapsed:.0f} events/s); new {outcomes['200 new']}, "
        f"duplicates acknowledged {outcomes['200 duplicate']}, 409s {outcomes['409']}, "
        f"failures {len(failures)}, stored {len(stored)}, mismatches {len(mismatches)}"
    )


def compare_records(conn, rows) -> list[str]:
    """Every subscription, invoice and charge an event was about: Moonly's row = the sandbox's."""
    ids: dict[str, set[str]] = {
        "subscription": set(),
        "invoice": set(),
        "charge": set(),
    }
    for _, _, data in rows:
        obj = data["data"]["object"]
        if obj.get("object") in ids:
            ids[obj["object"]].add(obj["id"])
    mismatches: list[str] = []
    sandbox = {
        oid: data
        for oid, data in conn.execute(
            "SELECT id, data FROM stripe_sandbox.sandbox_objects WHERE id = ANY(%s)",
            (sorted(set().union(*ids.values())),),
        ).fetchall()
    }
    specs = {
        "subscription": (
            "SELECT id, status, cancel_at_period_end, current_period_end FROM subscriptions WHERE id = ANY(%s)",
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
    for kind, (sql, expected_of) in specs.items():
        app_rows = {
            r[0]: tuple(r[1:])
            for r in conn.execute(sql, (sorted(ids[kind]),)).fetchall()
        }
        for oid in sorted(ids[kind]):
            if oid not in sandbox:
                mismatches.append(f"{kind} {oid}: not in the sandbox")
                continue
            expected = expected_of(sandbox[oid])
            if app_rows.get(oid) != expected:
                mismatches.append(
                    f"{kind} {oid}: Moonly {app_rows.get(oid)} != sandbox {expected}"
                )
        print(f"  compared {len(ids[kind])} {kind}s", flush=True)
    return mismatches


def main() -> int:
    bin_, logs, procs = h.start("load", HARD_TIMEOUT, __doc__.splitlines()[0])
    print(f"Moonly load test; logs in {logs}", flush=True)
    started = time.perf_counter()
    try:
        url_a = h.fresh_database("moonly_load")
        scenario_a(bin_, procs, url_a)
        url_b = h.fresh_database("moonly_load_b")
        scenario_b(bin_, procs, url_b)
        storm(bin_, procs, url_a)
    except (h.HardTimeout, KeyboardInterrupt) as error:
        problem(f"stopped: {error}")
    finally:
        procs.stop_all()
        import signal

        signal.alarm(0)
    print("\n================ SUMMARY (make load) ================")
    for line in summary:
        print(line)
    print(f"Total time         : {time.perf_counter() - started:.0f} s; logs in {logs}")
    if problems:
        print(f"RESULT: FAIL, {len(problems)} problem(s):")
        for text in problems:
            print(f"  - {text}")
        return 1
    print("RESULT: PASS (nothing lost or duplicated, records match, no 5xx)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
