"""Decode Stripe's form encoding and check it against the SDK's own typed params.

stripe-python ships a TypedDict for every request (`stripe.params.CustomerCreateParams`,
…) generated from the API version it pins. Checking requests against them makes the
sandbox refuse exactly what today's API refuses, such as `coupon` on a customer.
"""

from __future__ import annotations

import sys
import typing
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import typing_extensions
from stripe._request_options import RequestOptions
from stripe._stripe_object import UntypedStripeObject

from .errors import SandboxError

_REQUEST_OPTION_KEYS = set(RequestOptions.__annotations__) - {"expand"}
_WRAPPERS = (typing_extensions.NotRequired, typing_extensions.Required)


def decode_form(encoded: str) -> dict[str, Any]:
    """Turn `a[b][0]=x&c=y` into nested dicts of strings (lists stay dicts for now)."""
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(encoded, keep_blank_values=True):
        head, _, rest = raw_key.partition("[")
        parts = [head] + ([p.rstrip("]") for p in rest.split("[")] if rest else [])
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":  # `expand[]=a` appends
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
    return root


def _resolve(tp: Any, module: str) -> Any:
    if isinstance(tp, typing.ForwardRef):
        tp = tp.__forward_arg__
    if isinstance(tp, str):
        tp = eval(tp, vars(sys.modules[module]))  # noqa: S307 - the SDK's own annotations
    if typing.get_origin(tp) in _WRAPPERS:
        return _resolve(typing.get_args(tp)[0], module)
    return tp


@cache
def fields_of(cls: type) -> dict[str, Any]:
    """The request fields a params TypedDict declares, with their types resolved."""
    return {
        name: _resolve(tp, cls.__module__)
        for name, tp in cls.__annotations__.items()
        if name not in _REQUEST_OPTION_KEYS
    }


def _path(parent: str, key: str) -> str:
    return f"{parent}[{key}]" if parent else key


def coerce(value: Any, tp: Any, param: str, module: str) -> Any:
    """Check one value against its declared type; convert it from the form's strings."""
    tp = _resolve(tp, module)
    origin = typing.get_origin(tp)
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        options = _strict(typing.get_args(tp))
        problem: SandboxError | None = None
        # Prefer the richest reading: objects, then lists, then scalars.
        for option in sorted(options, key=_specificity):
            try:
                return coerce(value, option, param, module)
            except SandboxError as error:
                if problem is None or _specificity(option) == 0:
                    problem = problem or error
        assert problem is not None
        raise problem
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        if value in allowed:
            return value
        shown = ", ".join(repr(a) for a in allowed if a != "")
        raise SandboxError.invalid(param, f"Invalid {param}: must be one of {shown}")
    if typing_extensions.is_typeddict(tp):
        if not isinstance(value, dict):
            raise SandboxError.invalid(param, f"Invalid object: {param} must be a hash")
        return check_params(tp, value, parent=param)
    if origin is list:
        (item_type,) = typing.get_args(tp)
        if isinstance(value, dict) and all(k.isdigit() for k in value):
            items = [value[k] for k in sorted(value, key=int)]
        elif isinstance(value, list):
            items = value
        else:
            raise SandboxError.invalid(
                param, f"Invalid array: {param} must be an array"
            )
        return [
            coerce(v, item_type, f"{param}[{i}]", module) for i, v in enumerate(items)
        ]
    if origin is dict or origin is UntypedStripeObject:
        if not isinstance(value, dict):
            raise SandboxError.invalid(param, f"Invalid object: {param} must be a hash")
        for k, v in value.items():
            if not isinstance(v, str):
                raise SandboxError.invalid(
                    _path(param, k), f"Invalid string: {_path(param, k)}"
                )
        return dict(value)
    if not isinstance(value, str):
        raise SandboxError.invalid(param, f"Invalid {_type_name(tp)}: {param}")
    if tp is bool:
        if value not in ("true", "false"):
            raise SandboxError.invalid(param, f"Invalid boolean: {value}")
        return value == "true"
    if tp is int:
        try:
            return int(value)
        except ValueError:
            raise SandboxError.invalid(
                param, f"Invalid integer: {value}", code="parameter_invalid_integer"
            ) from None
    if tp is float:
        try:
            return float(value)
        except ValueError:
            raise SandboxError.invalid(param, f"Invalid decimal: {value}") from None
    return value


def _strict(options: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the SDK's forward-compatible `str` beside an enum: `Literal["month", …] |
    str` types new values the SDK may meet, but the API itself refuses values it doesn't
    know."""
    enum = any(
        typing.get_origin(o) is typing.Literal
        and any(a != "" for a in typing.get_args(o))
        for o in options
    )
    return tuple(o for o in options if o is not str) if enum else options


def _specificity(tp: Any) -> int:
    if typing_extensions.is_typeddict(tp):
        return -2
    if typing.get_origin(tp) in (list, dict):
        return -1
    return 0


def _type_name(tp: Any) -> str:
    return {int: "integer", float: "decimal", bool: "boolean"}.get(tp, "string")


def check_params(cls: type, params: dict[str, Any], parent: str = "") -> dict[str, Any]:
    """Refuse unknown or missing parameters as Stripe does; return converted values."""
    fields = fields_of(cls)
    for key in params:
        if key not in fields:
            name = _path(parent, key)
            raise SandboxError(
                400,
                f"Received unknown parameter: {name}",
                param=name,
                code="parameter_unknown",
            )
    for key in getattr(cls, "__required_keys__", ()):
        if key in fields and key not in params:
            name = _path(parent, key)
            raise SandboxError.missing_param(name)
    return {
        key: coerce(value, fields[key], _path(parent, key), cls.__module__)
        for key, value in params.items()
    }
