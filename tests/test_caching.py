"""Pages made for one user are never stored by a browser or a shared cache."""

import pytest
from helpers import AuthActions


@pytest.fixture
def signed_in(make_app):
    app = make_app(CELLO_PRODUCT_ID="p", CELLO_PRODUCT_SECRET="s" * 64)
    client = app.test_client()
    AuthActions(client).signup()
    return client


@pytest.mark.parametrize(
    "path", ["/account", "/cello/token", "/account/password", "/pricing", "/"]
)
def test_signed_in_pages_are_no_store(signed_in, path):
    response = signed_in.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/demo/", "/demo/api/journeys"])
def test_the_demo_console_is_no_store(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_an_anonymous_landing_page_may_be_cached(client):
    assert "Cache-Control" not in client.get("/?ucc=abc").headers
