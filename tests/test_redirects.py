"""Redirect targets from the request (`next` on /login, `to` on /demo/fresh-visit)."""

import pytest
from helpers import csrf_token

from moonly.redirects import safe_local_path

UNSAFE = [
    "/\r\nSet-Cookie: pwned=1",
    "/%0d%0a",  # harmless as text, but...
    "/\nx",
    "/\rx",
    "/\t/evil.example",
    "/\x00",
    "/\x7f",
    "/\u2028x",
    "/\u202eevil",
    "//evil.example/",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " /account",
    "",
    None,
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", UNSAFE)
def test_unsafe_targets_are_ignored(target):
    expected = "/%0d%0a" if target == "/%0d%0a" else None  # percent-escapes stay inert
    assert safe_local_path(target) == expected


@pytest.mark.parametrize("target", ["/account", "/?ucc=x&a=b", "/café", "/a#b"])
def test_local_paths_are_kept(target):
    assert safe_local_path(target) == target


@pytest.mark.parametrize("target", [t for t in UNSAFE if t])
def test_login_with_an_unsafe_next_goes_to_the_account(client, auth, target):
    auth.signup()
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    page = client.get("/login", query_string={"next": target})
    response = auth.login(next_url=target)
    if "\x00" in target:  # refused before anything else, anywhere
        assert page.status_code == response.status_code == 400
        return
    assert page.status_code == 200
    assert response.status_code == 302
    expected = "/%0d%0a" if target == "/%0d%0a" else "/account"
    assert response.headers["Location"] == expected
    assert "pwned" not in response.headers.get("Set-Cookie", "")


def test_the_raw_crlf_link_from_the_report_is_not_a_500(client):
    response = client.get("/login?next=/%0d%0aSet-Cookie:%20pwned=1")
    assert response.status_code == 200
