"""`python -m moonly.stripe_sandbox`: serve the offline Stripe over HTTP.

Any Stripe SDK, or curl, then talks to it as to api.stripe.com, with any `sk_test_…`
key:

    stripe.StripeClient("sk_test_x", base_addresses={"api": "http://127.0.0.1:12111"})
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from werkzeug.serving import make_server

from .sandbox import Sandbox

DEFAULT_DATABASE = "sqlite:///stripe-sandbox.sqlite3"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m moonly.stripe_sandbox",
        description="Serve the offline Stripe API at http://HOST:PORT/v1/…",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("STRIPE_SANDBOX_DATABASE_URL") or DEFAULT_DATABASE,
        help="SQLAlchemy URL of the sandbox's own database "
        f"(default: $STRIPE_SANDBOX_DATABASE_URL, else {DEFAULT_DATABASE})",
    )
    parser.add_argument(
        "--schema",
        default="stripe_sandbox",
        help="PostgreSQL only: the schema that holds the sandbox's tables",
    )
    parser.add_argument(
        "--public-url",
        default=os.environ.get("STRIPE_SANDBOX_PUBLIC_URL") or None,
        help="where browsers reach this server, for the URLs of its Checkout and "
        "portal pages (default: $STRIPE_SANDBOX_PUBLIC_URL, else each request's host)",
    )
    parser.add_argument(
        "--no-webhooks",
        action="store_true",
        help="do not deliver events to webhook endpoints",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )

    sandbox = Sandbox(args.database_url, schema=args.schema, public_url=args.public_url)
    server = make_server(args.host, args.port, sandbox.wsgi_app(), threaded=True)
    deliverer = None if args.no_webhooks else sandbox.deliverer()
    if deliverer:
        deliverer.start()
    base = f"http://{args.host}:{server.server_port}"
    print(f"Stripe sandbox on {base}/v1 (database {args.database_url})", flush=True)
    print(
        f'  stripe.StripeClient("sk_test_x", base_addresses={{"api": "{base}"}})',
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if deliverer:
            deliverer.stop()
        server.server_close()
        sandbox.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
