"""The sandbox's README lists exactly the endpoints and parameters of its route
table."""

from moonly.stripe_sandbox import api, reference


def test_the_readme_reference_matches_the_route_table():
    text = reference.README.read_text()
    assert reference.readme_block(text) == reference.generated(), (
        "Run `python -m moonly.stripe_sandbox.reference --write`."
    )


def test_every_route_is_listed_with_its_parameters():
    table = reference.endpoints()
    for route in api.ROUTES:
        assert f"| `{route.method.upper()} {route.path}` |" in table
    assert "(?P" not in table
    refused = reference.not_implemented()
    assert "`POST /v1/subscriptions/:id/pause`" in refused
    assert "`GET /v1/customers/:id`" not in refused
