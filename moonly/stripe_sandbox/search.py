"""`GET /v1/<resource>/search` for customers, charges, invoices, payment_intents,
prices, products and subscriptions.

Stripe's search query language (docs.stripe.com/search#search-query-language): clauses
`field:value` joined by spaces or `AND`, or by `OR` (never both in one query), each one
negatable with `-`; `metadata['key']:'value'`; `~` for substrings of string fields;
`>`, `<`, `>=`, `<=` on numeric fields; string values in quotes; at most ten clauses.
Results are newest first, paged with `page`/`next_page`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from stripe import params as sp

from .errors import SandboxError
from .expansion import includable
from .models import SandboxObject
from .routing import RouteSpec
from .shapes import Data, Params
from .store import Context, check_limit

MAX_CLAUSES = 10
_DOCS = "https://docs.stripe.com/search#search-query-language"

# Field kinds: what a clause may do with the field.
STRING = "string"  # `:` (case-insensitive) and `~` (substring)
EXACT = "exact"  # `:` only, exact
NUMBER = "numeric"  # `:`, `>`, `<`, `>=`, `<=`
BOOLEAN = "boolean"  # `:true` or `:false`


@dataclass(frozen=True)
class Field:
    kind: str
    read: Callable[[Data], Any]


def _at(*path: str) -> Callable[[Data], Any]:
    def read(data: Data) -> Any:
        value: Any = data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return read


def _first_item(key: str) -> Callable[[Data], Any]:
    return lambda sub: (sub["items"]["data"] or [{}])[0].get(key)


def _fields(**kinds: str) -> dict[str, Field]:
    return {name: Field(kind, _at(*name.split("."))) for name, kind in kinds.items()}


# The query fields Stripe documents for each resource (less those the sandbox has no
# data for); `metadata['…']` works on all of them.
FIELDS: dict[str, dict[str, Field]] = {
    "customer": _fields(created=NUMBER, email=STRING, name=STRING, phone=STRING),
    "charge": {
        **_fields(
            amount=NUMBER,
            created=NUMBER,
            currency=EXACT,
            customer=EXACT,
            disputed=BOOLEAN,
            refunded=BOOLEAN,
            status=EXACT,
        ),
        **{
            f"payment_method_details.card.{name}": Field(
                kind, _at("payment_method_details", "card", name)
            )
            for name, kind in (
                ("brand", EXACT),
                ("exp_month", NUMBER),
                ("exp_year", NUMBER),
                ("fingerprint", EXACT),
                ("last4", EXACT),
            )
        },
    },
    "invoice": {
        **_fields(
            created=NUMBER,
            currency=EXACT,
            customer=EXACT,
            number=EXACT,
            receipt_number=EXACT,
            status=EXACT,
            total=NUMBER,
        ),
        "subscription": Field(
            EXACT, _at("parent", "subscription_details", "subscription")
        ),
    },
    "payment_intent": _fields(
        amount=NUMBER, created=NUMBER, currency=EXACT, customer=EXACT, status=EXACT
    ),
    "price": _fields(
        active=BOOLEAN,
        created=NUMBER,
        currency=EXACT,
        lookup_key=EXACT,
        product=EXACT,
        type=EXACT,
    ),
    "product": _fields(
        active=BOOLEAN,
        created=NUMBER,
        description=STRING,
        name=STRING,
        shippable=BOOLEAN,
        url=EXACT,
    ),
    "subscription": {
        **_fields(canceled_at=NUMBER, created=NUMBER, status=EXACT),
        "current_period_end": Field(NUMBER, _first_item("current_period_end")),
        "current_period_start": Field(NUMBER, _first_item("current_period_start")),
        "price": Field(
            EXACT, lambda sub: [i["price"]["id"] for i in sub["items"]["data"]]
        ),
    },
}

_RESOURCE = {
    "customer": "customers",
    "charge": "charges",
    "invoice": "invoices",
    "payment_intent": "payment_intents",
    "price": "prices",
    "product": "products",
    "subscription": "subscriptions",
}


def _invalid(problem: str) -> SandboxError:
    return SandboxError(
        400, f"Invalid search query: {problem}. See {_DOCS}.", param="query"
    )


# Parsing.


# A clause's value: a string (quoted in the query), a number, a bool, None for `null`.
Value = str | int | float | bool | None


@dataclass(frozen=True)
class Clause:
    negated: bool
    field: str
    metadata_key: str | None
    operator: str
    value: Value
    quoted: bool


_QUOTED = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\""""
_CLAUSE = re.compile(
    rf"""
    (?P<negated>-)?
    (?:metadata\[(?P<key>{_QUOTED})\]|(?P<field>[A-Za-z_][A-Za-z0-9_.]*))
    (?P<op>>=|<=|:|~|>|<)
    (?P<value>{_QUOTED}|[^\s'"()]+)
    """,
    re.VERBOSE,
)
_WORD = re.compile(r"\S+")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _literal(raw: str) -> tuple[Value, bool]:
    if raw[0] in "'\"":
        return _unquote(raw), True
    if raw == "null":
        return None, False
    if raw in ("true", "false"):
        return raw == "true", False
    try:
        return (float(raw) if "." in raw else int(raw)), False
    except ValueError:
        return raw, False


def parse(query: str) -> tuple[str, list[Clause]]:
    """The query's clauses and how they combine ("AND" or "OR")."""
    if not query.strip():
        raise _invalid("the query is empty")
    if any(c in query for c in "()"):
        raise _invalid("parentheses are not supported")
    clauses: list[Clause] = []
    joins: set[str] = set()
    position, expect_clause = 0, True
    while True:
        while position < len(query) and query[position].isspace():
            position += 1
        if position == len(query):
            break
        if not expect_clause:
            word = _WORD.match(query, position)
            assert word is not None
            if word.group().upper() in ("AND", "OR"):
                joins.add(word.group().upper())
                position = word.end()
                expect_clause = True
                continue
            joins.add("AND")  # clauses side by side are ANDed
        found = _CLAUSE.match(query, position)
        end = found.end() if found else 0
        if found is None or (end < len(query) and not query[end].isspace()):
            word = _WORD.match(query, position)
            shown = word.group() if word else query[position:]
            raise _invalid(
                f"could not read `{shown}` (expected a clause such as "
                "email:'jane@example.com' or metadata['key']:'value')"
            )
        value, quoted = _literal(found["value"])
        key = found["key"]
        clauses.append(
            Clause(
                negated=bool(found["negated"]),
                field="metadata" if key else found["field"],
                metadata_key=_unquote(key) if key else None,
                operator=found["op"],
                value=value,
                quoted=quoted,
            )
        )
        position, expect_clause = end, False
    if expect_clause:
        raise _invalid("the query ends with AND or OR but no clause after it")
    if len(joins) > 1:
        raise _invalid(
            "AND and OR cannot be combined in one query; use either AND or OR "
            "between all clauses"
        )
    if len(clauses) > MAX_CLAUSES:
        raise _invalid(f"a query can have at most {MAX_CLAUSES} clauses")
    return (joins.pop() if joins else "AND"), clauses


# Matching.


def _check(clause: Clause, kind: str, name: str) -> None:
    if clause.operator == "~" and kind != STRING:
        raise _invalid(f"`~` (substring) is not supported on `{name}`")
    if clause.operator in (">", "<", ">=", "<=") and kind != NUMBER:
        raise _invalid(f"`{clause.operator}` is only supported on numeric fields")
    if clause.value is None:
        if clause.operator != ":":
            raise _invalid(f"null can only be matched with `:` (`{name}:null`)")
        return
    if kind == NUMBER and not isinstance(clause.value, int | float):
        if not (clause.quoted and re.fullmatch(r"-?\d+(\.\d+)?", clause.value)):
            raise _invalid(f"`{name}` is numeric; give it a number, as in {name}>0")
    elif kind == BOOLEAN and str(clause.value).lower() not in ("true", "false"):
        raise _invalid(f"`{name}` is a boolean; give it 'true' or 'false'")
    elif kind in (STRING, EXACT) and not clause.quoted:
        raise _invalid(
            f"the value of `{name}` must be in quotes, as in {name}:'{clause.value}'"
        )
    if clause.operator == "~" and len(str(clause.value)) < 3:
        raise _invalid("a substring match (`~`) needs at least 3 characters")


def _metadata(key: str) -> Callable[[Data], Any]:
    return lambda data: (data.get("metadata") or {}).get(key)


def _compile(resource: str, clause: Clause) -> Callable[[Data], bool]:
    fields = FIELDS[resource]
    if clause.metadata_key is not None:
        name = f"metadata['{clause.metadata_key}']"
        kind, read = EXACT, _metadata(clause.metadata_key)
    elif clause.field in fields:
        name = clause.field
        kind, read = fields[name].kind, fields[name].read
    else:
        plural = _RESOURCE[resource]
        raise _invalid(
            f"`{clause.field}` is an unsupported search field for {plural} "
            f"(supported: {', '.join(sorted([*fields, 'metadata']))})"
        )
    _check(clause, kind, name)
    wanted = clause.value
    if kind == NUMBER and isinstance(wanted, str):
        wanted = float(wanted)
    if kind == BOOLEAN and wanted is not None:
        wanted = (
            str(wanted).lower() == "true"
        )  # Stripe's docs quote them: active:'true'

    def matches_one(value: Any) -> bool:
        if wanted is None:
            return value is None or value == ""
        if value is None:
            return False
        if clause.operator == "~":
            return str(wanted).lower() in str(value).lower()
        if kind == STRING:
            return str(value).lower() == str(wanted).lower()
        if kind == NUMBER:
            comparisons = {
                ":": value == wanted,
                ">": value > wanted,
                "<": value < wanted,
                ">=": value >= wanted,
                "<=": value <= wanted,
            }
            return bool(comparisons[clause.operator])
        return bool(value == wanted)

    def matches(data: Data) -> bool:
        value = read(data)
        values = value if isinstance(value, list) else [value]
        found = any(matches_one(v) for v in values)
        return found != clause.negated

    return matches


# Paging: `next_page` is an opaque cursor naming the last object returned.


def _cursor(row: SandboxObject) -> str:
    return base64.urlsafe_b64encode(f"{row.created_ns}:{row.id}".encode()).decode()


def _after(page: str) -> tuple[int, str]:
    try:
        created_ns, object_id = base64.urlsafe_b64decode(page).decode().split(":", 1)
        return int(created_ns), object_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise SandboxError.invalid(
            "page",
            f"Invalid page: {page!r} is not a next_page value from a previous search.",
        ) from None


def search(ctx: Context, resource: str, params: Params) -> Data:
    """One page of the objects matching the query, newest first."""
    limit = check_limit(params)
    join, clauses = parse(params.get("query", ""))
    tests = [_compile(resource, c) for c in clauses]
    combine = all if join == "AND" else any
    rows = ctx.session.scalars(
        select(SandboxObject)
        .where(SandboxObject.object == resource, SandboxObject.deleted.is_(False))
        .order_by(SandboxObject.created_ns.desc(), SandboxObject.id.desc())
    )
    found = [r for r in rows if combine(test(r.data) for test in tests)]
    start = 0
    if "page" in params:
        after = _after(params["page"])
        start = next(
            (i for i, r in enumerate(found) if (r.created_ns, r.id) < after),
            len(found),
        )
    page = found[start : start + limit]
    has_more = start + limit < len(found)
    result: Data = {
        "object": "search_result",
        "data": [r.data for r in page],
        "has_more": has_more,
        "next_page": _cursor(page[-1]) if has_more else None,
        "url": f"/v1/{_RESOURCE[resource]}/search",
    }
    if "total_count" in params.get("expand", []):
        result["total_count"] = len(found)
    return result


@includable("search_result", "total_count")
def _total_count(ctx: Context, result: Data) -> int | None:
    """Counted by `search` itself, which sees the whole match."""
    count: int | None = result.get("total_count")
    return count


def _handler(resource: str) -> Callable[[Context, Params], Data]:
    return lambda ctx, params: search(ctx, resource, params)


_PARAMS = "query limit page"

# Listed before the retrieve routes: `/v1/customers/search` is not a customer's id.
SEARCH_ROUTES: list[RouteSpec] = [
    (
        "get",
        "/v1/customers/search",
        sp.CustomerSearchParams,
        _handler("customer"),
        _PARAMS,
    ),
    ("get", "/v1/charges/search", sp.ChargeSearchParams, _handler("charge"), _PARAMS),
    (
        "get",
        "/v1/invoices/search",
        sp.InvoiceSearchParams,
        _handler("invoice"),
        _PARAMS,
    ),
    (
        "get",
        "/v1/payment_intents/search",
        sp.PaymentIntentSearchParams,
        _handler("payment_intent"),
        _PARAMS,
    ),
    (
        "get",
        "/v1/subscriptions/search",
        sp.SubscriptionSearchParams,
        _handler("subscription"),
        _PARAMS,
    ),
    ("get", "/v1/prices/search", sp.PriceSearchParams, _handler("price"), _PARAMS),
    (
        "get",
        "/v1/products/search",
        sp.ProductSearchParams,
        _handler("product"),
        _PARAMS,
    ),
]
