"""Webhook endpoints: `/v1/webhook_endpoints`, stored and returned as Stripe does.

The sandbox only keeps these objects. It does not deliver events to them: it keeps
delivering every event to the app's own webhook URL, signed with the app's configured
secret, as events.py always has. An endpoint's `url`, `enabled_events`, `status` and
`secret` therefore change nothing about delivery; they exist so that code which manages
endpoints through the SDK (creating one, reading it back, listing, disabling, deleting)
can run offline.

As in Stripe, the signing `secret` appears only in the create response, and creating,
updating or deleting an endpoint sends no event.
"""

from __future__ import annotations

import secrets
import string
import typing
from typing import Any, NotRequired
from urllib.parse import urlsplit

from stripe import params as sp

from .errors import SandboxError
from .ids import new_id
from .models import SandboxObject
from .params import fields_of
from .resources import merge_metadata
from .routing import PAGING, RouteSpec
from .shapes import Data, Params
from .store import Context

_LOCAL_HOSTS = ("localhost", "127.0.0.1")
MAX_ENDPOINTS = 16  # Stripe allows 16 webhook endpoints per account and mode.


def _sdk_event_types() -> frozenset[str]:
    """The event types the SDK's params declare for `enabled_events` (today's API)."""
    declared = fields_of(sp.WebhookEndpointCreateParams)["enabled_events"]
    (item,) = typing.get_args(declared)
    return frozenset(typing.get_args(item)) - {"*"}


# Names an endpoint may subscribe to: Stripe's own list for the pinned API version (a
# test checks that every event the sandbox emits is on it).
KNOWN_EVENT_TYPES = _sdk_event_types()


def _relaxed(cls: type) -> type:
    """The SDK's params class with `enabled_events` typed as plain strings.

    The SDK types it as a Literal of some 270 names; checked against that, an unknown
    name would be refused as `enabled_events[0]` with every allowed name listed.
    Relaxing it lets the handler refuse it as `enabled_events`, naming the unknown
    event.
    """
    names: Any = list[str]
    required: frozenset[str] = getattr(cls, "__required_keys__", frozenset())
    if "enabled_events" not in required:
        names = NotRequired[names]
    relaxed = type(cls)(
        cls.__name__, (cls,), {"__annotations__": {"enabled_events": names}}
    )
    # Inherited annotations are strings resolved in the SDK's module (params.fields_of).
    relaxed.__module__ = cls.__module__
    return relaxed


CreateParams = _relaxed(sp.WebhookEndpointCreateParams)
UpdateParams = _relaxed(sp.WebhookEndpointUpdateParams)


def _check_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # such as a malformed IPv6 address
        host = None
    allowed = bool(host) and (
        parts.scheme == "https" or (parts.scheme == "http" and host in _LOCAL_HOSTS)
    )
    if not allowed or any(c.isspace() for c in url):
        raise SandboxError.invalid(
            "url",
            f"Invalid URL: {url!r}. A webhook endpoint's URL must use https "
            "(http is accepted only for localhost and 127.0.0.1).",
            code="url_invalid",
        )
    return url


def _check_events(events: list[str]) -> list[str]:
    if not events:
        raise SandboxError.missing_param("enabled_events")
    for name in events:
        if name != "*" and name not in KNOWN_EVENT_TYPES:
            raise SandboxError.invalid(
                "enabled_events",
                f"Invalid enabled_events: {name!r} is not a known event type. Use "
                "'*' for every event, or names such as "
                "'customer.subscription.updated'.",
            )
    return list(dict.fromkeys(events))


def _shown(data: Data) -> Data:
    """The endpoint as retrieve, list and update show it: without its secret."""
    return {k: v for k, v in data.items() if k != "secret"}


def _row(ctx: Context, object_id: str) -> SandboxObject:
    row = ctx.session.get(SandboxObject, object_id)
    if row is None or row.object != "webhook_endpoint" or row.deleted:
        raise SandboxError.no_such("webhook endpoint", object_id)
    return row


def _count(ctx: Context) -> int:
    page = ctx.list("webhook_endpoint", {"limit": MAX_ENDPOINTS}, url="")
    return len(page["data"])


def create(ctx: Context, params: Params) -> Data:
    url = _check_url(params["url"])
    events = _check_events(params["enabled_events"])
    if _count(ctx) >= MAX_ENDPOINTS:
        raise SandboxError(
            400,
            f"You have reached the maximum of {MAX_ENDPOINTS} test webhook endpoints.",
            param="url",
        )
    endpoint = {
        "id": new_id("we", 24),
        "object": "webhook_endpoint",
        "api_version": params.get("api_version"),
        "application": None,
        "created": ctx.now,
        "description": params.get("description") or None,
        "enabled_events": events,
        "livemode": False,
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "secret": "whsec_"
        + "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(32)
        ),
        "status": "enabled",
        "url": url,
    }
    # Stripe sends no event about webhook endpoints.
    return ctx.insert(endpoint, silent=True)


def retrieve(ctx: Context, object_id: str, params: Params) -> Data:
    return _shown(_row(ctx, object_id).data)


def update(ctx: Context, object_id: str, params: Params) -> Data:
    row = _row(ctx, object_id)
    changes: Data = {}
    if "url" in params:
        changes["url"] = _check_url(params["url"])
    if "enabled_events" in params:
        changes["enabled_events"] = _check_events(params["enabled_events"])
    if "description" in params:
        changes["description"] = params["description"] or None
    if "disabled" in params:
        changes["status"] = "disabled" if params["disabled"] else "enabled"
    if "metadata" in params:
        changes["metadata"] = merge_metadata(row.data["metadata"], params["metadata"])
    return _shown(ctx.update(row, changes, silent=True))


def delete(ctx: Context, object_id: str, params: Params) -> Data:
    return ctx.delete(_row(ctx, object_id), silent=True)


def list_endpoints(ctx: Context, params: Params) -> Data:
    page = ctx.list("webhook_endpoint", params, url="/v1/webhook_endpoints")
    return {**page, "data": [_shown(d) for d in page["data"]]}


WEBHOOK_ENDPOINT_ROUTES: list[RouteSpec] = [
    (
        "post",
        "/v1/webhook_endpoints",
        CreateParams,
        create,
        "url enabled_events description metadata api_version",
    ),
    (
        "get",
        "/v1/webhook_endpoints",
        sp.WebhookEndpointListParams,
        list_endpoints,
        PAGING,
    ),
    (
        "get",
        "/v1/webhook_endpoints/{id}",
        sp.WebhookEndpointRetrieveParams,
        retrieve,
        "",
    ),
    (
        "post",
        "/v1/webhook_endpoints/{id}",
        UpdateParams,
        update,
        "url enabled_events disabled description metadata",
    ),
    (
        "delete",
        "/v1/webhook_endpoints/{id}",
        sp.WebhookEndpointDeleteParams,
        delete,
        "",
    ),
]
