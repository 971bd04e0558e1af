"""Webhook endpoints in the offline sandbox, through the real SDK."""

import re
import string
from pathlib import Path

import pytest
import stripe as stripe_sdk
from conftest import CELLO_EVENTS, events
from test_api import declared_fields

from moonly.stripe_sandbox import API_VERSION, webhook_endpoints

URL = "https://moonly.example/stripe/webhook"


def create(stripe, **params):
    return stripe.v1.webhook_endpoints.create(
        params={"url": URL, "enabled_events": ["invoice.paid"], **params}
    )


def event_count(stripe):
    return len(events(stripe, None))


def test_create_shows_the_secret_once(stripe):
    endpoint = create(
        stripe,
        enabled_events=list(CELLO_EVENTS),
        description="Cello",
        metadata={"team": "billing"},
        api_version=API_VERSION,
    )
    assert endpoint.object == "webhook_endpoint"
    assert endpoint.id.startswith("we_")
    assert endpoint.url == URL
    assert endpoint.enabled_events == list(CELLO_EVENTS)
    assert endpoint.description == "Cello"
    assert endpoint.metadata.to_dict() == {"team": "billing"}
    assert endpoint.api_version == API_VERSION
    assert endpoint.status == "enabled"
    assert endpoint.livemode is False
    secret = endpoint.secret
    assert secret.startswith("whsec_")
    assert len(secret) == len("whsec_") + 32
    assert set(secret.removeprefix("whsec_")) <= set(
        string.ascii_letters + string.digits
    )

    again = stripe.v1.webhook_endpoints.retrieve(endpoint.id)
    assert "secret" not in again.to_dict()
    assert {k: v for k, v in endpoint.to_dict().items() if k != "secret"} == (
        again.to_dict()
    )
    assert create(stripe).secret != secret


def test_defaults(stripe):
    endpoint = create(stripe, enabled_events=["*"])
    assert endpoint.enabled_events == ["*"]
    assert endpoint.api_version is None
    assert endpoint.description is None
    assert endpoint.application is None
    assert endpoint.metadata.to_dict() == {}


def test_list_is_newest_first_without_secrets(stripe):
    made = [create(stripe, description=f"#{i}").id for i in range(3)]
    page = stripe.v1.webhook_endpoints.list()
    assert [e.id for e in page.data] == made[::-1]
    assert all("secret" not in e.to_dict() for e in page.data)
    assert page.url == "/v1/webhook_endpoints"

    first = stripe.v1.webhook_endpoints.list(params={"limit": 2})
    assert [e.id for e in first.data] == [made[2], made[1]]
    assert first.has_more is True
    rest = stripe.v1.webhook_endpoints.list(
        params={"limit": 2, "starting_after": made[1]}
    )
    assert [e.id for e in rest.data] == [made[0]]
    assert rest.has_more is False
    back = stripe.v1.webhook_endpoints.list(params={"ending_before": made[0]})
    assert [e.id for e in back.data] == [made[2], made[1]]


def test_update_events_disabled_description_and_metadata(stripe):
    endpoint = create(stripe, description="old", metadata={"a": "1", "b": "2"})
    updated = stripe.v1.webhook_endpoints.update(
        endpoint.id,
        params={
            "enabled_events": ["customer.created", "customer.deleted"],
            "disabled": True,
            "url": "https://moonly.example/other",
            "description": "",
            "metadata": {"a": "", "c": "3"},
        },
    )
    assert updated.enabled_events == ["customer.created", "customer.deleted"]
    assert updated.status == "disabled"
    assert updated.url == "https://moonly.example/other"
    assert updated.description is None
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}
    assert "secret" not in updated.to_dict()
    assert stripe.v1.webhook_endpoints.retrieve(endpoint.id).status == "disabled"

    enabled = stripe.v1.webhook_endpoints.update(
        endpoint.id, params={"disabled": False}
    )
    assert enabled.status == "enabled"
    assert enabled.enabled_events == ["customer.created", "customer.deleted"]


def test_delete(stripe):
    endpoint = create(stripe)
    kept = create(stripe)
    deleted = stripe.v1.webhook_endpoints.delete(endpoint.id)
    assert deleted.to_dict() == {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "deleted": True,
    }
    assert [e.id for e in stripe.v1.webhook_endpoints.list().data] == [kept.id]
    for call in (
        lambda: stripe.v1.webhook_endpoints.retrieve(endpoint.id),
        lambda: stripe.v1.webhook_endpoints.update(endpoint.id, params={}),
        lambda: stripe.v1.webhook_endpoints.delete(endpoint.id),
    ):
        with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
            call()
        assert caught.value.http_status == 404
        assert caught.value.code == "resource_missing"
        assert caught.value.user_message == (
            f"No such webhook endpoint: '{endpoint.id}'"
        )


@pytest.mark.parametrize(
    "url",
    [
        "http://moonly.example/webhook",
        "ftp://moonly.example/webhook",
        "moonly.example/webhook",
        "https://",
        "https://moonly.example/web hook",
        "http://[::1/webhook",
    ],
)
def test_bad_url_is_refused(stripe, url):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.webhook_endpoints.create(
            params={"url": url, "enabled_events": ["invoice.paid"]}
        )
    assert caught.value.http_status == 400
    assert caught.value.param == "url"
    assert caught.value.user_message.startswith("Invalid URL: ")
    assert stripe.v1.webhook_endpoints.list().data == []


def test_bad_url_is_refused_on_update(stripe):
    endpoint = create(stripe)
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.webhook_endpoints.update(
            endpoint.id, params={"url": "http://moonly.example/webhook"}
        )
    assert caught.value.param == "url"
    assert stripe.v1.webhook_endpoints.retrieve(endpoint.id).url == URL


@pytest.mark.parametrize(
    "url", ["http://localhost:5000/stripe/webhook", "http://127.0.0.1/webhook"]
)
def test_http_is_accepted_on_localhost(stripe, url):
    assert create(stripe, url=url).url == url


@pytest.mark.parametrize("name", ["charge.exploded", "invoice.paid "])
def test_unknown_event_name_is_refused(stripe, name):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        create(stripe, enabled_events=["invoice.paid", name])
    assert caught.value.http_status == 400
    assert caught.value.param == "enabled_events"
    assert repr(name) in caught.value.user_message
    assert stripe.v1.webhook_endpoints.list().data == []

    endpoint = create(stripe)
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.webhook_endpoints.update(
            endpoint.id, params={"enabled_events": [name]}
        )
    assert caught.value.param == "enabled_events"
    assert stripe.v1.webhook_endpoints.retrieve(endpoint.id).enabled_events == [
        "invoice.paid"
    ]


def test_missing_required_parameters(stripe):
    for params, missing in (
        ({"enabled_events": ["invoice.paid"]}, "url"),
        ({"url": URL}, "enabled_events"),
    ):
        with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
            stripe.v1.webhook_endpoints.create(params=params)
        assert caught.value.code == "parameter_missing"
        assert caught.value.param == missing


def test_unknown_parameter_is_refused(stripe):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        create(stripe, events=["invoice.paid"])  # type: ignore[typeddict-unknown-key]
    assert caught.value.http_status == 400
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "events"
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.webhook_endpoints.update(
            create(stripe).id,
            params={"api_version": API_VERSION},  # type: ignore[typeddict-unknown-key]
        )
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "api_version"


def test_parameter_the_sandbox_does_not_implement_is_refused_clearly(stripe):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        create(stripe, connect=True)
    assert caught.value.code == "sandbox_unsupported_parameter"
    assert caught.value.param == "connect"


def test_object_shape_matches_the_sdks_declared_fields(stripe):
    fields, always = declared_fields(stripe_sdk.WebhookEndpoint)
    for endpoint in (
        create(stripe),
        stripe.v1.webhook_endpoints.retrieve(create(stripe).id),
        stripe.v1.webhook_endpoints.list().data[0],
        stripe.v1.webhook_endpoints.update(create(stripe).id, params={}),
    ):
        returned = set(endpoint.to_dict())
        assert returned <= fields, returned - fields
        assert always <= returned, always - returned


def test_endpoint_calls_send_no_events(stripe):
    endpoint = create(stripe, enabled_events=["*"])
    stripe.v1.webhook_endpoints.retrieve(endpoint.id)
    stripe.v1.webhook_endpoints.list()
    stripe.v1.webhook_endpoints.update(
        endpoint.id,
        params={"disabled": True, "description": "d", "metadata": {"k": "v"}},
    )
    stripe.v1.webhook_endpoints.delete(endpoint.id)
    assert event_count(stripe) == 0


def test_known_event_types_cover_the_sandbox_and_cello():
    known = webhook_endpoints.KNOWN_EVENT_TYPES
    assert set(CELLO_EVENTS) <= known
    # Every event type the sandbox emits by name…
    package = Path(webhook_endpoints.__file__).parent
    emitted = {
        name
        for source in package.glob("*.py")
        for name in re.findall(r'emit\(\s*"([a-z_.]+)"', source.read_text())
    }
    assert emitted, "no ctx.emit calls found"
    assert emitted <= known, emitted - known  # the sandbox emits only real event types
    # …and Stripe's own names, as the SDK declares them.
    assert {"payout.paid", "checkout.session.completed"} <= known


def test_sandbox_events_can_be_subscribed_to(stripe):
    customer = stripe.v1.customers.create(params={"email": "a@example.com"})
    stripe.v1.customers.update(customer.id, params={"name": "A"})
    stripe.v1.customers.delete(customer.id)
    emitted = sorted({e.type for e in events(stripe)})
    assert emitted == ["customer.created", "customer.deleted", "customer.updated"]
    assert create(stripe, enabled_events=emitted).enabled_events == emitted
