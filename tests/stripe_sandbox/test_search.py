"""Search with Stripe's query language: customers, charges, invoices, PaymentIntents and
subscriptions."""

import pytest
import stripe as stripe_sdk
from test_billing import subscribe


def customers(stripe):
    """Four customers, oldest first."""
    made = [
        ("ana@example.com", "Ana Lima", {"plan": "pro", "ref": "cello"}),
        ("bo@example.com", "Bo Berg", {"plan": "starter"}),
        ("Cy@Example.com", "Cy Ames", {"plan": "pro"}),
        ("di@example.org", "Di Lima", {}),
    ]
    return [
        stripe.v1.customers.create(params={"email": e, "name": n, "metadata": m}).id
        for e, n, m in made
    ]


def ids(result):
    return [o.id for o in result.data]


def test_customers_by_email_name_and_metadata(stripe):
    ana, bo, cy, di = customers(stripe)
    found = stripe.v1.customers.search(params={"query": "email:'ana@example.com'"})
    assert found.object == "search_result"
    assert ids(found) == [ana]
    assert found.url == "/v1/customers/search"
    assert (found.has_more, found.next_page) == (False, None)
    # Exact string matching ignores case, as Stripe's does.
    assert ids(
        stripe.v1.customers.search(params={"query": 'email:"cy@example.com"'})
    ) == [cy]
    assert ids(
        stripe.v1.customers.search(params={"query": "metadata['plan']:'pro'"})
    ) == [cy, ana]
    assert ids(stripe.v1.customers.search(params={"query": "name~'lima'"})) == [
        di,
        ana,
    ]
    assert ids(
        stripe.v1.customers.search(params={"query": "-metadata['plan']:'pro'"})
    ) == [di, bo]
    assert ids(
        stripe.v1.customers.search(params={"query": "-metadata['plan']:null"})
    ) == [cy, bo, ana]


def test_and_or_and_negation(stripe):
    ana, bo, cy, di = customers(stripe)
    both = "metadata['plan']:'pro' AND name~'Lima'"
    assert ids(stripe.v1.customers.search(params={"query": both})) == [ana]
    side_by_side = "metadata['plan']:'pro' name~'Lima'"
    assert ids(stripe.v1.customers.search(params={"query": side_by_side})) == [ana]
    either = "email:'bo@example.com' or email:'di@example.org'"
    assert ids(stripe.v1.customers.search(params={"query": either})) == [di, bo]
    negated = "metadata['plan']:'pro' AND -email:'ana@example.com'"
    assert ids(stripe.v1.customers.search(params={"query": negated})) == [cy]


def test_mixing_and_with_or_is_refused(stripe):
    customers(stripe)
    for query in (
        "email:'a@x.io' AND name:'A' OR name:'B'",
        "email:'a@x.io' name:'A' OR name:'B'",
    ):
        with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
            stripe.v1.customers.search(params={"query": query})
        assert caught.value.http_status == 400
        assert caught.value.param == "query"
        assert "AND and OR cannot be combined" in caught.value.user_message


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("email:ana@example.com", "must be in quotes"),
        ("email:'ana@example.com", "could not read"),
        ("colour:'blue'", "`colour` is an unsupported search field for customers"),
        ("(email:'a@x.io')", "parentheses are not supported"),
        ("email:'a@x.io' AND", "ends with AND or OR"),
        ("email>'a'", "only supported on numeric fields"),
        ("created:'soon'", "`created` is numeric"),
        ("name~'an'", "at least 3 characters"),
        ("   ", "the query is empty"),
        (" ".join(f"name:'{i}'" for i in range(11)), "at most 10 clauses"),
    ],
)
def test_malformed_queries_name_the_problem(stripe, query, problem):
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.customers.search(params={"query": query})
    error = caught.value
    assert (error.http_status, error.param) == (400, "query")
    assert problem in error.user_message
    assert "unknown parameter" not in error.user_message
    assert error.user_message.startswith("Invalid search query: ")


def test_pages_with_next_page(stripe):
    made = customers(stripe)
    query = "email~'example'"
    first = stripe.v1.customers.search(params={"query": query, "limit": 3})
    assert ids(first) == made[::-1][:3]
    assert first.has_more is True and first.next_page
    second = stripe.v1.customers.search(
        params={"query": query, "limit": 3, "page": first.next_page}
    )
    assert ids(second) == [made[0]]
    assert (second.has_more, second.next_page) == (False, None)
    every = stripe.v1.customers.search(
        params={"query": query, "limit": 1}
    ).auto_paging_iter()
    assert [c.id for c in every] == made[::-1]
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.customers.search(params={"query": query, "page": "%%%"})
    assert caught.value.param == "page"
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.customers.search(params={"query": query, "limit": 101})
    assert caught.value.param == "limit"


def test_total_count_and_expand_on_search_results(stripe):
    customers(stripe)
    found = stripe.v1.customers.search(
        params={"query": "metadata['plan']:'pro'", "limit": 1}
    )
    assert "total_count" not in found.to_dict()
    counted = stripe.v1.customers.search(
        params={
            "query": "metadata['plan']:'pro'",
            "limit": 1,
            "expand": ["total_count"],
        }
    )
    assert counted.total_count == 2 and len(counted.data) == 1


def test_billing_searches_by_customer_status_and_amount(stripe, catalog):
    one = subscribe(stripe)
    two = subscribe(stripe, coupon=False, key="moonly_pro_monthly")
    stripe.v1.subscriptions.update(two.id, params={"metadata": {"seats": "3"}})
    stripe.v1.subscriptions.cancel(one.id)
    charges = stripe.v1.charges.search(
        params={"query": f"customer:'{two.customer}' AND status:'succeeded'"}
    )
    assert [c.amount for c in charges.data] == [2900]
    assert ids(stripe.v1.charges.search(params={"query": "amount>1000"})) == ids(
        charges
    )
    assert (
        len(
            stripe.v1.charges.search(
                params={"query": "payment_method_details.card.last4:'4242'"}
            ).data
        )
        == 2
    )
    invoices = stripe.v1.invoices.search(
        params={"query": f"subscription:'{one.id}' OR total:2900"}
    )
    assert [i.total for i in invoices.data] == [2900, 960]
    intents = stripe.v1.payment_intents.search(
        params={"query": f"customer:'{one.customer}' status:'succeeded'"}
    )
    assert [i.amount for i in intents.data] == [960]
    assert ids(
        stripe.v1.subscriptions.search(params={"query": "status:'canceled'"})
    ) == [one.id]
    assert ids(
        stripe.v1.subscriptions.search(params={"query": "metadata['seats']:'3'"})
    ) == [two.id]
    listed = stripe.v1.subscriptions.search(
        params={"query": "status:'active'", "expand": ["data.customer"]}
    )
    assert [s.customer.id for s in listed.data] == [two.customer]
    with pytest.raises(stripe_sdk.InvalidRequestError) as caught:
        stripe.v1.subscriptions.search(params={"query": "email:'a@x.io'"})
    assert "unsupported search field for subscriptions" in caught.value.user_message


def test_deleted_customers_are_not_found(stripe):
    ana, *_ = customers(stripe)
    stripe.v1.customers.delete(ana)
    query = "email:'ana@example.com'"
    assert stripe.v1.customers.search(params={"query": query}).data == []


def test_catalog_search(stripe, catalog):
    pro = stripe.v1.products.search(params={"query": "name:'pro' AND active:'true'"})
    assert [p.name for p in pro.data] == ["Pro"]
    unquoted = stripe.v1.products.search(params={"query": "active:false"})
    assert unquoted.data == []
    yearly = stripe.v1.prices.search(
        params={
            "query": f"product:'{pro.data[0].id}' AND lookup_key:'moonly_pro_yearly'"
        }
    )
    assert [p.unit_amount for p in yearly.data] == [29000]
    assert stripe.v1.prices.search(params={"query": "currency:'usd'"}).url == (
        "/v1/prices/search"
    )
