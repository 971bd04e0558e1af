"""The sandbox's own test helpers, beside Stripe's API: move a subscription's clock on,
and empty the sandbox. Served at `/v1/test_helpers/sandbox/…` for any client:

    # to the subscription's next renewal (or trial end, cancellation, expiry):
    client.raw_request("post", "/v1/test_helpers/sandbox/subscriptions/sub_…/advance")
    # or by any duration, doing what falls due on the way (e.g. 23 hours):
    client.raw_request(
        "post", "/v1/test_helpers/sandbox/subscriptions/sub_…/advance", seconds=82800
    )
"""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import delete

from .clock import AdvanceParams, advance_subscription
from .models import Base
from .routing import RouteSpec
from .shapes import Data, Params
from .store import Context


class NoParams(TypedDict):
    pass


def reset(ctx: Context, params: Params) -> Data:
    """Forget every object, event, delivery and idempotent result."""
    for table in reversed(Base.metadata.sorted_tables):
        ctx.session.execute(delete(table))
    return {"object": "sandbox_reset", "deleted": True}


TEST_HELPER_ROUTES: list[RouteSpec] = [
    (
        "post",
        "/v1/test_helpers/sandbox/subscriptions/{id}/advance",
        AdvanceParams,
        advance_subscription,
        "seconds",
    ),
    ("post", "/v1/test_helpers/sandbox/reset", NoParams, reset, ""),
]
