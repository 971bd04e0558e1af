"""The sandbox's API: routing, parameter checks, idempotency, Stripe's answers."""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stripe import params as sp

from . import customers
from . import resources as r
from .billing_routes import BILLING_ROUTES
from .checkout_sessions import CHECKOUT_ROUTES
from .errors import SandboxError
from .event_api import EVENT_ROUTES
from .expansion import check_depth, expand
from .ids import new_id
from .list_api import LIST_ROUTES
from .models import SandboxIdempotencyKey
from .params import check_params, decode_form
from .portal import PORTAL_ROUTES
from .promotion_codes import PROMOTION_CODE_ROUTES
from .routing import PAGING, Handler
from .search import SEARCH_ROUTES
from .shapes import Data, Params
from .store import API_VERSION, DEFAULT_PUBLIC_URL, Context
from .test_helpers import TEST_HELPER_ROUTES
from .webhook_endpoints import WEBHOOK_ENDPOINT_ROUTES

IDEMPOTENCY_KEY_TTL = 24 * 3600  # Stripe keeps idempotent results for 24 hours.


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    params: type
    handler: Handler
    # The path as Stripe's docs write it, e.g. `/v1/subscriptions/:id`.
    path: str
    # Parameters the sandbox implements; anything else the SDK allows is refused
    # with a clear message instead of being silently ignored.
    implemented: frozenset[str]


def _route(
    method: str, path: str, params: type, handler: Handler, implemented: str = ""
) -> Route:
    regex = re.compile("^" + path.replace("{id}", "(?P<id>[^/]+)") + "$")
    return Route(
        method,
        regex,
        params,
        handler,
        path.replace("{id}", ":id"),
        frozenset(implemented.split()),
    )


ROUTES = [
    # First: `/v1/customers/search` would otherwise read as a customer's id.
    *(_route(*spec) for spec in SEARCH_ROUTES),
    _route(
        "post",
        "/v1/products",
        sp.ProductCreateParams,
        r.create_product,
        "id name active description images marketing_features metadata "
        "statement_descriptor unit_label url",
    ),
    _route(
        "get",
        "/v1/products",
        sp.ProductListParams,
        r.list_products,
        PAGING + " active created ids",
    ),
    _route("get", "/v1/products/{id}", sp.ProductRetrieveParams, r.retrieve_product),
    _route(
        "post",
        "/v1/products/{id}",
        sp.ProductUpdateParams,
        r.update_product,
        "active description name metadata",
    ),
    _route(
        "post",
        "/v1/prices",
        sp.PriceCreateParams,
        r.create_price,
        "currency product unit_amount recurring lookup_key transfer_lookup_key "
        "nickname metadata active tax_behavior",
    ),
    _route(
        "get",
        "/v1/prices",
        sp.PriceListParams,
        r.list_prices,
        PAGING + " lookup_keys product active created currency type",
    ),
    _route("get", "/v1/prices/{id}", sp.PriceRetrieveParams, r.retrieve_price),
    _route(
        "post",
        "/v1/prices/{id}",
        sp.PriceUpdateParams,
        r.update_price,
        "active nickname metadata lookup_key transfer_lookup_key",
    ),
    _route(
        "post",
        "/v1/coupons",
        sp.CouponCreateParams,
        r.create_coupon,
        "id name duration duration_in_months percent_off amount_off currency "
        "max_redemptions redeem_by metadata",
    ),
    _route(
        "get", "/v1/coupons", sp.CouponListParams, r.list_coupons, PAGING + " created"
    ),
    _route("get", "/v1/coupons/{id}", sp.CouponRetrieveParams, r.retrieve_coupon),
    _route(
        "post",
        "/v1/coupons/{id}",
        sp.CouponUpdateParams,
        r.update_coupon,
        "name metadata",
    ),
    _route("delete", "/v1/coupons/{id}", sp.CouponDeleteParams, r.delete_coupon),
    _route(
        "post",
        "/v1/customers",
        sp.CustomerCreateParams,
        customers.create_customer,
        "email name description phone metadata preferred_locales balance "
        "business_name individual_name invoice_prefix next_invoice_sequence "
        "tax_exempt",
    ),
    _route(
        "get",
        "/v1/customers",
        sp.CustomerListParams,
        customers.list_customers,
        PAGING + " email created",
    ),
    _route(
        "get",
        "/v1/customers/{id}",
        sp.CustomerRetrieveParams,
        customers.retrieve_customer,
    ),
    _route(
        "post",
        "/v1/customers/{id}",
        sp.CustomerUpdateParams,
        customers.update_customer,
        "email name description phone metadata preferred_locales invoice_settings",
    ),
    _route(
        "delete",
        "/v1/customers/{id}",
        sp.CustomerDeleteParams,
        customers.delete_customer,
    ),
    *(_route(*spec) for spec in BILLING_ROUTES),
    *(_route(*spec) for spec in WEBHOOK_ENDPOINT_ROUTES),
    *(_route(*spec) for spec in EVENT_ROUTES),
    *(_route(*spec) for spec in LIST_ROUTES),
    *(_route(*spec) for spec in TEST_HELPER_ROUTES),
    *(
        _route(*spec)
        for spec in PROMOTION_CODE_ROUTES + CHECKOUT_ROUTES + PORTAL_ROUTES
    ),
]


@dataclass
class Response:
    status: int
    body: str
    headers: dict[str, str]


def _match(method: str, path: str) -> tuple[Route, str | None]:
    for route in ROUTES:
        if route.method == method:
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict().get("id")
    raise SandboxError(
        404,
        f"Unrecognized request URL ({method.upper()}: {path}).",
        type="invalid_request_error",
    )


def _check_key(headers: dict[str, str]) -> None:
    auth = headers.get("authorization", "")
    key = auth.removeprefix("Bearer ").strip()
    if not key.startswith(("sk_test_", "rk_test_")):
        raise SandboxError(
            401,
            "Invalid API Key provided. The offline sandbox takes test-mode keys only.",
            type="invalid_request_error",
        )


def _check_version(headers: dict[str, str]) -> None:
    """Answer only the API version the sandbox serves, never another one silently."""
    version = headers.get("stripe-version", "").strip()
    if version and version != API_VERSION:
        raise SandboxError(
            400,
            f"The Moonly sandbox serves Stripe API version {API_VERSION} only; this "
            f"request asked for {version}. Pin your client to {API_VERSION} (or send "
            "no Stripe-Version header), or use Stripe test mode for other versions.",
            code="api_version_unsupported",
        )


def _fingerprint(method: str, path: str, raw: dict[str, Any]) -> str:
    canonical = json.dumps([method, path, raw], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _response(status: int, body: Data, request_id: str, **extra: str) -> Response:
    headers = {
        "Content-Type": "application/json",
        "Request-Id": request_id,
        "Stripe-Version": API_VERSION,
        **extra,
    }
    return Response(status, json.dumps(body), headers)


def _replay(saved: SandboxIdempotencyKey, fingerprint: str, key: str) -> Response:
    if saved.fingerprint != fingerprint:
        raise SandboxError(
            400,
            "Keys for idempotent requests can only be used with the same parameters "
            "they were first used with. Try using a key other than "
            f"'{key}' if you meant to execute a different request.",
            type="idempotency_error",
        )
    return Response(
        saved.status,
        saved.body,
        {
            "Content-Type": "application/json",
            "Request-Id": new_id("req", 14),
            "Stripe-Version": API_VERSION,
            "Idempotency-Key": key,
            "Idempotent-Replayed": "true",
        },
    )


def _saved_result(engine: Engine, key: str) -> SandboxIdempotencyKey | None:
    with Session(engine) as session:
        saved = session.get(SandboxIdempotencyKey, key)
        if saved is not None and saved.created < time.time() - IDEMPOTENCY_KEY_TTL:
            session.execute(
                delete(SandboxIdempotencyKey).where(SandboxIdempotencyKey.key == key)
            )
            session.commit()
            return None
        if saved is not None:
            session.expunge(saved)
        return saved


def handle(
    engine: Engine,
    method: str,
    path: str,
    query: str,
    body: str,
    headers: dict[str, str],
    public_url: str = DEFAULT_PUBLIC_URL,
) -> Response:
    """Answer one API request as Stripe would; `public_url` is where its pages are."""
    request_id = new_id("req", 14)
    headers = {k.lower(): v for k, v in headers.items()}
    try:
        _check_key(headers)
        _check_version(headers)
        route, object_id = _match(method, path)
        raw = decode_form(query if method in ("get", "delete") else body)
        params = check_params(route.params, raw)
        check_depth(params.get("expand", []))
        # `expand` is applied centrally (expansion.py) on every route that takes it.
        unsupported = sorted(set(params) - route.implemented - {"expand"})
        if unsupported:
            raise SandboxError.not_implemented(
                unsupported[0], f"{method.upper()} {route.path}"
            )
        key = headers.get("idempotency-key") if method == "post" else None
        fingerprint = _fingerprint(method, path, raw)
        if key:
            saved = _saved_result(engine, key)
            if saved is not None:
                return _replay(saved, fingerprint, key)
        return _execute(
            engine, route, object_id, params, request_id, key, fingerprint, public_url
        )
    except SandboxError as error:
        return _response(error.status, error.body(request_id), request_id)


def _execute(
    engine: Engine,
    route: Route,
    object_id: str | None,
    params: Params,
    request_id: str,
    key: str | None,
    fingerprint: str,
    public_url: str,
) -> Response:
    with Session(engine) as session:
        ctx = Context(session, request_id, key, public_url=public_url)
        try:
            args = (object_id, params) if object_id is not None else (params,)
            body = route.handler(ctx, *args)
            body = expand(ctx, body, params.get("expand", []), route.params)
            result = _response(200, body, request_id)
        except SandboxError as error:
            if not error.keep_changes:
                session.rollback()
            result = _response(error.status, error.body(request_id), request_id)
        if key:
            result.headers["Idempotency-Key"] = key
            session.add(
                SandboxIdempotencyKey(
                    key=key,
                    fingerprint=fingerprint,
                    status=result.status,
                    body=result.body,
                    created=ctx.now,
                )
            )
        try:
            session.commit()
        except IntegrityError:
            # Another request with the same key committed first: answer with its result.
            session.rollback()
            saved = _saved_result(engine, key) if key else None
            if saved is None:
                raise SandboxError(
                    409,
                    "This request conflicted with another request made at the same "
                    "time. Retry it.",
                    type="invalid_request_error",
                    code="lock_timeout",
                ) from None
            return _replay(saved, fingerprint, key or "")
    return result
