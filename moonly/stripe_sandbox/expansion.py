"""`expand[]` as Stripe applies it, on every response: ids replaced by their objects.

Which fields can be expanded comes from the SDK itself: stripe-python types each
expandable field as `ExpandableField[X]` (a `Union[str, X]`), generated from the API
version it pins. A path is checked against those types before anything is expanded, so
an unexpandable path gets Stripe's own error whether or not the field holds a value. On
a list or a search result, paths start with `data.`; every path has at most four
levels.

Stripe also has "includable" fields, absent until expanded (`charge.refunds`,
`invoice.payments`, `search_result.total_count`). The modules that own those objects
register how to build them with `includable(object_type, field)`.
"""

from __future__ import annotations

import copy
import importlib
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

import stripe
from stripe._object_classes import OBJECT_CLASSES

from .errors import SandboxError
from .models import SandboxObject
from .shapes import Data
from .store import Context

# Builds an includable field of an object: a list object, a count, a small hash.
Includer = Callable[[Context, Data], Data | int | None]
_Builder = TypeVar("_Builder", bound=Includer)
MAX_DEPTH = 4  # Stripe's limit: `data.payment_intent.customer.default_source`.

# object type -> field -> how to build it (see `includable`).
INCLUDABLE: dict[str, dict[str, Includer]] = {}


def includable(object_type: str, field: str) -> Callable[[_Builder], _Builder]:
    """Register a field Stripe leaves out of `object_type` until it is expanded."""

    def register(build: _Builder) -> _Builder:
        INCLUDABLE.setdefault(object_type, {})[field] = build
        return build

    return register


# The SDK's types, read as a map of what can be expanded.


class _ListOf:
    """A `list` or `search_result` object whose `data` holds items of one type."""

    def __init__(self, object_type: str, item: Any) -> None:
        self.object_type = object_type
        self.item = item


def _class_named(name: str) -> type | None:
    found = getattr(stripe, name, None)
    return found if isinstance(found, type) else None


def _resolve(tp: Any) -> Any:
    if isinstance(tp, str):
        return _class_named(tp)
    if isinstance(tp, typing.ForwardRef):
        return _class_named(tp.__forward_arg__)
    return tp


def _without_none(tp: Any) -> list[Any]:
    if typing.get_origin(tp) is typing.Union:
        return [a for a in typing.get_args(tp) if a is not type(None)]
    return [tp]


def _expandable_targets(tp: Any) -> list[Any] | None:
    """The classes an `ExpandableField` (or a list of them) expands into, else None."""
    options = _without_none(tp)
    if len(options) == 1 and typing.get_origin(options[0]) in (list, typing.List):  # noqa: UP006
        options = _without_none(typing.get_args(options[0])[0])
    targets = [
        _resolve(o)
        for o in options
        if isinstance(o, str | typing.ForwardRef)
        or (isinstance(o, type) and issubclass(o, stripe.StripeObject))
    ]
    return targets if str in options and targets else None


def _walk_into(tp: Any) -> Any:
    """What a path may continue into below a field that is not expanded, else None."""
    (option, *more) = _without_none(tp)
    if more:
        return None
    option = _resolve(option)
    origin = typing.get_origin(option)
    if origin in (list, typing.List):  # noqa: UP006
        return _walk_into(typing.get_args(option)[0])
    if origin is not None and isinstance(origin, type):
        if issubclass(origin, stripe.ListObject | stripe.SearchResultObject):
            kind = "list" if origin is stripe.ListObject else "search_result"
            return _ListOf(kind, _resolve(typing.get_args(option)[0]))
    if isinstance(option, type) and issubclass(option, stripe.StripeObject):
        return option
    return None


@cache
def _fields(cls: type) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        fields.update(getattr(klass, "__annotations__", {}))
    return fields


def _object_type(cls: Any) -> str | None:
    return getattr(cls, "OBJECT_NAME", None) if isinstance(cls, type) else None


def _cannot(segment: str) -> SandboxError:
    return SandboxError(
        400,
        f"This property cannot be expanded ({segment}).",
        param="expand",
    )


def _check(node: Any, segments: list[str]) -> None:
    """Refuse a path the SDK's types say cannot be expanded from `node`."""
    segment, rest = segments[0], segments[1:]
    if node is None:
        return  # a type the SDK does not name: nothing to check against
    if isinstance(node, _ListOf):
        if segment in INCLUDABLE.get(node.object_type, {}):
            return
        if segment != "data" or not rest:
            raise _cannot(segment)
        _check(node.item, rest)
        return
    declared = _fields(node).get(segment)
    included = segment in INCLUDABLE.get(_object_type(node) or "", {})
    targets = None if declared is None else _expandable_targets(declared)
    if targets is not None:
        if rest:
            for target in targets:
                _check(target, rest)
        return
    below = None if declared is None else _walk_into(declared)
    if included:
        if rest:
            _check(below, rest)
        return
    if declared is None or not rest or below is None:
        raise _cannot(segment)
    _check(below, rest)


def _class_of(object_type: str) -> type | None:
    found = OBJECT_CLASSES.get(object_type)
    if found is None:
        return None
    module, name = found
    found_class: type = getattr(importlib.import_module(module), name)
    return found_class


def check_depth(paths: list[str]) -> None:
    """Stripe's four-level limit, checked before the request does anything."""
    for path in paths:
        if path.count(".") >= MAX_DEPTH:
            raise SandboxError(
                400,
                f"You cannot expand more than {MAX_DEPTH} levels of a property. "
                f"Property: {path}",
                param="expand",
            )
        if not path or "" in path.split("."):
            raise _cannot(path)


def item_class(params_class: type) -> type | None:
    """The type a list or search route returns items of, read from its params class:
    `CustomerListParams` -> Customer, `CustomerPaymentMethodListParams` ->
    PaymentMethod."""
    name = params_class.__name__
    for suffix in ("ListParams", "SearchParams"):
        if name.endswith(suffix):
            words = _camel_words(name.removesuffix(suffix))
            for start in range(len(words)):
                found = _class_named("".join(words[start:]))
                if found is not None:
                    return found
    return None


def _camel_words(name: str) -> list[str]:
    words: list[str] = []
    for char in name:
        if char.isupper() or not words:
            words.append(char)
        else:
            words[-1] += char
    return words


# Expanding a response.


def _load(ctx: Context, object_id: str, segment: str) -> Data:
    row = ctx.session.get(SandboxObject, object_id)
    if row is None:
        raise SandboxError(
            400,
            f"The Moonly sandbox cannot expand `{segment}`: it keeps no object "
            f"'{object_id}'. Use Stripe test mode for it.",
            param="expand",
            code="sandbox_unsupported_parameter",
        )
    if row.deleted:
        return {"id": row.id, "object": row.object, "deleted": True}
    return copy.deepcopy(row.data)


# `expand` paths as a tree: {"latest_invoice": {"payment_intent": {}}}.
Tree = dict[str, "Tree"]


def _tree(paths: list[str]) -> Tree:
    tree: Tree = {}
    for path in paths:
        node = tree
        for segment in path.split("."):
            node = node.setdefault(segment, {})
    return tree


def _expand(ctx: Context, value: Any, tree: Tree) -> None:
    if isinstance(value, list):
        for item in value:
            _expand(ctx, item, tree)
        return
    if not isinstance(value, dict):
        return
    builders = INCLUDABLE.get(str(value.get("object")), {})
    for segment, below in tree.items():
        if segment in builders:
            value[segment] = builders[segment](ctx, value)
        current = value.get(segment)
        if isinstance(current, str):
            value[segment] = current = _load(ctx, current, segment)
        elif isinstance(current, list) and any(isinstance(v, str) for v in current):
            value[segment] = current = [
                _load(ctx, v, segment) if isinstance(v, str) else v for v in current
            ]
        if below:
            _expand(ctx, current, below)


def expand(ctx: Context, response: Data, paths: list[str], params_class: type) -> Data:
    """The response with `paths` expanded, or Stripe's error for a path it refuses."""
    if not paths:
        return response
    object_type = str(response.get("object"))
    root: Any
    if object_type in ("list", "search_result"):
        items = response.get("data") or []
        first = items[0].get("object") if items else None
        item = _class_of(first) if first else item_class(params_class)
        root = _ListOf(object_type, item)
    else:
        root = _class_of(object_type)
    for path in paths:
        _check(root, path.split("."))
    result = copy.deepcopy(response)
    _expand(ctx, result, _tree(paths))
    return result
