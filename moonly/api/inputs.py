"""Reading the API's JSON bodies: 400 for a body that is not a JSON object, 422 naming
the field for a missing or mistyped one. The account rules are `sign_up`'s."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Literal, TypedDict, overload

from flask import g, request

from ..referral.invites import clean_ucc
from .errors import ApiError


class SignupFields(TypedDict):
    """The account fields of a signup, as `sign_up` takes them."""

    name: str
    email: str
    password: str
    organization: str | None


def json_object() -> dict[str, object]:
    """The request's body as a JSON object (parsed once per request)."""
    if "api_body" in g:
        return g.api_body  # type: ignore[no-any-return]
    if not request.is_json:
        raise ApiError(
            400,
            "unsupported_content_type",
            "Send JSON: Content-Type: application/json.",
        )
    try:
        body = json.loads(request.get_data(cache=True).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, "malformed_json", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The body must be a JSON object.")
    g.api_body = body
    return body


def storable(value: str) -> bool:
    """Text a database can hold: no NUL (PostgreSQL refuses it), no lone surrogate."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@overload
def text(body: Mapping[str, object], field: str, *, required: Literal[True]) -> str: ...
@overload
def text(
    body: Mapping[str, object], field: str, *, required: Literal[False]
) -> str | None: ...
def text(body: Mapping[str, object], field: str, *, required: bool) -> str | None:
    """A string field; None when an optional one is absent or null."""
    value = body.get(field)
    if value is None or (required and value == ""):
        if required:
            raise ApiError(422, "missing_field", f"{field} is required.", field)
        return None
    if not isinstance(value, str):
        raise ApiError(422, "invalid_field", f"{field} must be a string.", field)
    if not storable(value):
        raise ApiError(
            422,
            "invalid_field",
            f"{field} must be text without NUL or unpaired surrogate characters.",
            field,
        )
    return value


def signup_fields(body: Mapping[str, object]) -> SignupFields:
    """The signup's account fields, type-checked (`sign_up` checks the rules)."""
    return {
        "name": text(body, "name", required=True),
        "email": text(body, "email", required=True),
        "password": text(body, "password", required=True),
        "organization": text(body, "organization", required=False),
    }


def referral_ucc(body: Mapping[str, object]) -> str | None:
    """The referral code the attribution provider gave the app (Cello's ucc), by the
    web's rule; absent, null or empty is no referral, anything else invalid is a 422."""
    value = (text(body, "referral_ucc", required=False) or "").strip()
    if not value:
        return None
    ucc = clean_ucc(value)
    if ucc is None:
        raise ApiError(
            422,
            "invalid_field",
            "referral_ucc must be 1 to 64 of A-Z, a-z, 0-9, _ and - "
            "(the code of the invite link).",
            "referral_ucc",
        )
    return ucc
