"""Promotion codes: customer-facing codes for a coupon, and the checks on redeeming."""

from __future__ import annotations

import re
import secrets
import string

from sqlalchemy import func, select
from stripe import params as sp

from .common import named, ref
from .errors import SandboxError
from .ids import new_id
from .models import SandboxObject
from .resources import merge_metadata
from .routing import RouteSpec
from .shapes import Data, Params
from .store import Context

_CODE = re.compile(r"^[A-Za-z0-9]{1,500}$")
FIRST_TIME_ONLY = (
    "This promotion code cannot be redeemed because the associated customer has prior "
    "transactions."
)


def _random_code() -> str:
    return "".join(
        secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8)
    )


def _by_code(ctx: Context, code: str) -> list[SandboxObject]:
    """Promotion codes with this code, any case, newest first."""
    return list(
        ctx.session.scalars(
            select(SandboxObject)
            .where(
                SandboxObject.object == "promotion_code",
                func.lower(SandboxObject.data["code"].as_string()) == code.lower(),
            )
            .order_by(SandboxObject.created_ns.desc())
        )
    )


def create_promotion_code(ctx: Context, params: Params) -> Data:
    """Create a code for a coupon; codes are unique, whatever their case, among active
    ones."""
    promotion = params["promotion"]
    if "coupon" not in promotion:
        raise SandboxError.missing_param("promotion[coupon]")
    coupon = ref(ctx, "coupon", promotion["coupon"], "promotion[coupon]").data
    if "customer" in params:
        ref(ctx, "customer", params["customer"], "customer")
    code = params.get("code") or _random_code()
    if not _CODE.match(code):
        raise SandboxError.invalid(
            "code",
            "Invalid code: only letters (a-z, A-Z) and digits (0-9) are allowed.",
        )
    if any(row.data["active"] for row in _by_code(ctx, code)):
        raise SandboxError(
            400,
            f"An active promotion code with `code` '{code}' already exists.",
            param="code",
            code="resource_already_exists",
        )
    expires_at = params.get("expires_at")
    if (
        expires_at is not None
        and coupon["redeem_by"] is not None
        and expires_at > coupon["redeem_by"]
    ):
        raise SandboxError.invalid(
            "expires_at",
            "The promotion code's `expires_at` may not be after the coupon's "
            "`redeem_by`.",
        )
    restrictions = params.get("restrictions", {})
    for key in sorted(set(restrictions) - {"first_time_transaction"}):
        raise SandboxError(
            400,
            f"The Moonly sandbox does not implement `restrictions[{key}]` on promotion "
            "codes; use Stripe test mode for it.",
            param=f"restrictions[{key}]",
            code="sandbox_unsupported_parameter",
        )
    promotion_code = {
        "id": new_id("promo", 24),
        "object": "promotion_code",
        "active": params.get("active", True),
        "code": code,
        "created": ctx.now,
        "customer": params.get("customer"),
        "customer_account": None,
        "expires_at": expires_at,
        "livemode": False,
        "max_redemptions": params.get("max_redemptions"),
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "promotion": {"coupon": coupon["id"], "type": "coupon"},
        "restrictions": {
            "currency_options": {},
            "first_time_transaction": restrictions.get("first_time_transaction", False),
            "minimum_amount": None,
            "minimum_amount_currency": None,
        },
        "times_redeemed": 0,
    }
    return ctx.insert(promotion_code)


def retrieve_promotion_code(ctx: Context, object_id: str, params: Params) -> Data:
    row = named(ctx, "promotion_code", object_id)
    return row.data


def update_promotion_code(ctx: Context, object_id: str, params: Params) -> Data:
    """Turn a code on or off, or change its metadata (promotion_code.updated)."""
    row = ctx.get("promotion_code", object_id)
    changes: Data = {}
    if "active" in params:
        if params["active"] and not row.data["active"]:
            others = [r for r in _by_code(ctx, row.data["code"]) if r.id != row.id]
            if any(r.data["active"] for r in others):
                raise SandboxError(
                    400,
                    "An active promotion code with `code` "
                    f"'{row.data['code']}' already exists.",
                    param="active",
                    code="resource_already_exists",
                )
        changes["active"] = params["active"]
    if "metadata" in params:
        changes["metadata"] = merge_metadata(row.data["metadata"], params["metadata"])
    if "restrictions" in params:
        raise SandboxError(
            400,
            "The Moonly sandbox does not implement `restrictions[currency_options]` on "
            "promotion codes; use Stripe test mode for it.",
            param="restrictions",
            code="sandbox_unsupported_parameter",
        )
    return ctx.update(row, changes)


def list_promotion_codes(ctx: Context, params: Params) -> Data:
    filters = []
    if "code" in params:
        # Stripe matches the code case-insensitively.
        filters.append(
            func.lower(SandboxObject.data["code"].as_string()) == params["code"].lower()
        )
    if "active" in params:
        filters.append(SandboxObject.data["active"].as_boolean() == params["active"])
    if "coupon" in params:
        path = ("promotion", "coupon")
        filters.append(SandboxObject.data[path].as_string() == params["coupon"])
    if "customer" in params:
        filters.append(SandboxObject.data["customer"].as_string() == params["customer"])
    return ctx.list("promotion_code", params, *filters, url="/v1/promotion_codes")


# Redeeming


def _has_paid_before(ctx: Context, customer: str) -> bool:
    """Whether the customer has a successful payment or a finalized invoice already."""
    for kind, key, states in (
        ("charge", "status", ("succeeded",)),
        ("invoice", "status", ("open", "paid", "uncollectible")),
    ):
        found = ctx.session.scalars(
            select(SandboxObject.id)
            .where(
                SandboxObject.object == kind,
                SandboxObject.data["customer"].as_string() == customer,
                SandboxObject.data[key].as_string().in_(states),
            )
            .limit(1)
        ).first()
        if found is not None:
            return True
    return False


def check_redeemable(
    ctx: Context, promotion_code: Data, customer: str | None, param: str
) -> None:
    """Refuse a code that is off, expired, used up, or not for this customer."""
    code = promotion_code["code"]
    problem = None
    limit = promotion_code["max_redemptions"]
    expires_at = promotion_code["expires_at"]
    if not promotion_code["active"]:
        problem = f"This promotion code ({code}) is inactive."
    elif expires_at is not None and expires_at <= ctx.now:
        problem = f"This promotion code ({code}) has expired."
    elif limit is not None and promotion_code["times_redeemed"] >= limit:
        problem = (
            f"This promotion code ({code}) has reached its maximum number of "
            "redemptions."
        )
    elif promotion_code["customer"] is not None and customer not in (
        None,
        promotion_code["customer"],
    ):
        problem = f"This promotion code ({code}) cannot be redeemed by this customer."
    elif (
        promotion_code["restrictions"]["first_time_transaction"]
        and customer is not None
        and _has_paid_before(ctx, customer)
    ):
        problem = FIRST_TIME_ONLY
    if problem is not None:
        raise SandboxError.invalid(param, problem)


def redeem(ctx: Context, promotion_code_id: str, customer: str, param: str) -> Data:
    """Check and count one redemption; the caller makes the discount from its coupon."""
    row = ref(ctx, "promotion_code", promotion_code_id, param)
    check_redeemable(ctx, row.data, customer, param)
    ctx.update(row, {"times_redeemed": row.data["times_redeemed"] + 1}, silent=True)
    return row.data


def find_active(ctx: Context, code: str) -> Data | None:
    """The active promotion code a customer typed, if any."""
    for row in _by_code(ctx, code.strip()):
        if row.data["active"]:
            return row.data
    return None


PROMOTION_CODE_ROUTES: list[RouteSpec] = [
    (
        "post",
        "/v1/promotion_codes",
        sp.PromotionCodeCreateParams,
        create_promotion_code,
        "promotion code customer expires_at max_redemptions active metadata "
        "restrictions",
    ),
    (
        "get",
        "/v1/promotion_codes",
        sp.PromotionCodeListParams,
        list_promotion_codes,
        "limit starting_after ending_before code active coupon customer created",
    ),
    (
        "get",
        "/v1/promotion_codes/{id}",
        sp.PromotionCodeRetrieveParams,
        retrieve_promotion_code,
        "",
    ),
    (
        "post",
        "/v1/promotion_codes/{id}",
        sp.PromotionCodeUpdateParams,
        update_promotion_code,
        "active metadata restrictions",
    ),
]
