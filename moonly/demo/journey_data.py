"""The journey of one signup as data: what /demo/api/journey answers, and what the
console renders from it (`journey` builds it, `timeline` and `glance` read it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

# A Stripe object as JSON, as the SDK gives it (`to_dict(recursive=True,
# for_json=True)`).
StripeObject = dict[str, Any]


class JourneyUser(TypedDict):
    id: str
    email: str
    name: str
    organization_id: str | None
    ucc: str | None
    ucc_source: str | None
    referrer_name: str | None
    replaced_ucc: str | None
    created_at: str | None
    deleted_at: str | None


class StripeState(TypedDict):
    """The customer and its objects as Stripe returns them now."""

    customer: StripeObject | None
    subscriptions: list[StripeObject]
    invoices: list[StripeObject]
    checkout_sessions: list[StripeObject]
    charges: list[StripeObject]
    dashboard_url: NotRequired[str | None]  # only when Stripe answered
    error: str | None


class WebhookEventLine(TypedDict):
    """A Stripe event Moonly received about the customer."""

    id: str
    type: str
    object_id: str | None
    received_at: str | None
    processed_at: str | None
    error: str | None


class CelloRequest(TypedDict):
    method: str
    url: str
    headers: dict[str, str]
    body: dict[str, object]


class CelloEventLine(TypedDict):
    """A queued Cello API event, and the exact request that is (or would be) sent."""

    id: int
    trigger: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: str | None
    sent_at: str | None
    body: dict[str, object]
    request: CelloRequest


class ActionLine(TypedDict):
    """A lifecycle button (`actions.Action`) as JSON."""

    kind: str
    label: str
    target: str
    hint: str
    danger: bool


class CelloField(TypedDict):
    path: str
    value: object  # from the Stripe object
    why: str


class CelloViewEvent(TypedDict):
    """An event Cello's own Stripe webhook receives, with the fields it reads."""

    event_id: str
    note: str | None
    type: str
    received_at: str | None
    fields: list[CelloField]


StepStatus = Literal["done", "pending", "failed", "info"]


class EventLine(TypedDict):
    """A webhook about a timeline step's object, shown under the step."""

    id: str
    type: str
    received_at: str | None
    status: StepStatus
    error: str | None


class StepAction(TypedDict):
    kind: str
    label: str
    subscription_id: str


class Step(TypedDict):
    """One thing that happened, in the journey's timeline."""

    key: str
    title: str
    at: str | None
    status: StepStatus
    summary: str
    details: Mapping[str, object]
    link: str | None
    events: list[EventLine]
    actions: NotRequired[list[StepAction]]  # subscription steps only
    # Only while the timeline is built (to put each webhook under its step).
    object_id: NotRequired[str]
    payment_intent: NotRequired[str]


class JourneySummary(TypedDict):
    """A signup in the list of journeys, and how far it got."""

    user_id: str
    email: str
    name: str
    created_at: str | None
    ucc: str | None
    ucc_source: str | None
    flow: str
    customer_id: str | None
    subscription_status: str | None
    webhook_events: int
    cello_events: int


class JourneyFacts(TypedDict):
    """What the storefront, Stripe and Cello each hold for the signup."""

    user: JourneyUser
    flow: str
    sandbox: bool
    stripe: StripeState
    webhook_events: list[WebhookEventLine]
    cello_events: list[CelloEventLine]


class Journey(JourneyFacts):
    """The facts, and what the console makes of them."""

    actions: list[ActionLine]
    timeline: list[Step]
    cello_view: list[CelloViewEvent]
