import re

import pytest


def banner_text(html: str) -> str:
    banner = html.split('id="invite-banner"', 1)[1].split("</section>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", banner.split(">", 1)[1]).split())


def head_of(html: str) -> str:
    return html.split("<head>", 1)[1].split("</head>", 1)[0]


def test_stub_precedes_the_attribution_script_in_head(client):
    head = head_of(client.get("/").get_data(as_text=True))
    stub = head.index("window.CelloAttribution=window.CelloAttribution||function")
    script = head.index(
        '<script type="module" src="https://assets.sandbox.cello.so/attribution/latest/'
        'cello-attribution.js" async></script>'
    )
    assert stub < script
    assert "window.CelloAttributionCmd.push" in head[stub:script]


def test_no_other_render_blocking_script_in_head(client):
    head = head_of(client.get("/").get_data(as_text=True))
    scripts = re.findall(r"<script([^>]*)>", head)
    external = [attrs for attrs in scripts if "src=" in attrs]
    assert external and all("async" in a or "defer" in a for a in external)
    # The only inline script is the queue stub.
    assert len(scripts) - len(external) == 1


def test_production_environment_loads_the_production_script(make_app):
    client = make_app(CELLO_ENV="production").test_client()
    head = head_of(client.get("/").get_data(as_text=True))
    assert "https://assets.cello.so/attribution/latest/cello-attribution.js" in head
    assert "sandbox" not in head


def test_no_assets_from_cdns(client):
    html = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert urls == [
        "https://assets.sandbox.cello.so/attribution/latest/cello-attribution.js"
    ]


def test_invite_link_sets_a_first_party_cookie(client):
    response = client.get("/?ucc=UPobYBDuu0N&productId=getmoonly.com")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("moonly_invite=UPobYBDuu0N.")  # the ucc, then the visit
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Max-Age=7776000" in cookie
    assert "Path=/" in cookie


def test_invite_captured_on_any_page(client):
    response = client.get("/signup?ucc=test&productId=test")
    assert "moonly_invite=test." in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "a" * 65,
        "ab cd",
        "x;y",
        "<b>hi</b>",
        "é",
        "a/b",
        "a%00b",
        "ucc\r\nSet-Cookie:x",
    ],
)
def test_bad_ucc_is_ignored_never_stored_or_echoed(client, bad):
    response = client.get("/", query_string={"ucc": bad, "referrerName": "Alice"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert 'id="invite-banner"' not in html
    if bad:
        assert bad not in html


def test_banner_names_the_referrer_and_the_catalog_offer(client, catalog):
    html = client.get("/?ucc=test&productId=test&referrerName=Alice").get_data(
        as_text=True
    )
    assert banner_text(html).startswith(
        "Alice invited you: 20 % off your first 3 months"
    )


def test_banner_reads_base64_cello_name(client, catalog):
    html = client.get("/?ucc=test&celloN=QWxpY2U=").get_data(as_text=True)
    assert banner_text(html).startswith(
        "Alice invited you: 20 % off your first 3 months"
    )


def test_banner_escapes_the_referrer_name(client, catalog):
    html = client.get(
        "/", query_string={"ucc": "test", "referrerName": "<script>alert(1)</script>"}
    ).get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; invited you" in html


def test_a_sixty_character_name_is_shown_whole_and_a_longer_one_cut_with_an_ellipsis(
    client, catalog
):
    sixty = "Maximiliane Alexandra von Hohenberg-Schwarzenfeld-Lichtenste"
    assert len(sixty) == 60
    html = client.get("/", query_string={"ucc": "test", "referrerName": sixty})
    assert banner_text(html.get_data(as_text=True)).startswith(f"{sixty} invited you")
    longer = sixty + "in zu Wittgenstein"
    html = client.get("/", query_string={"ucc": "tost", "referrerName": longer})
    cut = sixty[:59] + "\u2026"
    assert banner_text(html.get_data(as_text=True)).startswith(f"{cut} invited you")


def test_banner_without_a_catalog_names_no_discount(client):
    html = client.get("/?ucc=test&referrerName=Alice").get_data(as_text=True)
    assert banner_text(html) == "Alice invited you to Moonly Create your account"


def test_no_banner_without_invite(client, catalog):
    html = client.get("/").get_data(as_text=True)
    assert 'id="invite-banner"' not in html
    assert "$12" in html and "$29" in html


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_nothing_in_head_blocks_rendering(client):
    head = head_of(client.get("/?ucc=test").get_data(as_text=True))
    assert 'rel="stylesheet"' not in head  # the stylesheet is inline
    for attrs in re.findall(r"<script([^>]*)>", head):
        assert "src=" not in attrs or "async" in attrs or "defer" in attrs


def test_csp_allows_the_inline_stylesheet_by_its_hash(client):
    import base64
    import hashlib

    response = client.get("/")
    (style,) = re.findall(
        r"<style>(.*?)</style>", response.get_data(as_text=True), re.S
    )
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = response.headers["Content-Security-Policy"]
    assert f"'sha256-{digest}'" in policy.split("style-src", 1)[1].split(";")[0]
    assert "'unsafe-inline'" not in policy


def test_visitor_pages_are_reused_but_never_across_names_or_users(
    app, client, auth, catalog
):
    alice = client.get("/?ucc=a1&referrerName=Alice").get_data(as_text=True)
    bob = client.get("/?ucc=b2&referrerName=Bob").get_data(as_text=True)
    assert "Alice invited you" in alice and "Bob invited you" in bob
    assert client.get("/?ucc=a3&referrerName=Alice").get_data(as_text=True) == alice
    auth.signup()
    page = client.get("/?ucc=a1&referrerName=Alice").get_data(as_text=True)
    assert "Log out" in page and "Log out" not in alice  # a user's page is their own


def test_a_flashed_message_is_shown_not_cached(client, auth):
    auth.signup()
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/").get_data(as_text=True)
    )
    client.post("/logout", data={"csrf_token": token.group(1)})
    assert "You are logged out." in client.get("/").get_data(as_text=True)
    assert "You are logged out." not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "cookie",
    [
        "x",
        "test.",
        "test.!!!",
        "test.bm90IGpzb24",
        "test.WzEsIDJd",
        "test.eyJhdCI6IDV9",
        "test.eyJhdCI6ICIyMDI2LTAxLTAxIiwgInJlZmVycmVyX25hbWUiOiA1fQ",
        "<b>.x",
    ],
)
def test_a_tampered_invite_cookie_never_breaks_signup(app, client, auth, cookie):
    client.set_cookie("moonly_invite", cookie)
    assert auth.signup().status_code == 302


@pytest.mark.parametrize(
    ("days", "label"),
    [(0, "Create your account"), (14, "Start your 14-day free trial")],
)
def test_the_call_to_action_promises_a_trial_only_when_there_is_one(
    make_app, days, label
):
    page = make_app(MOONLY_TRIAL_DAYS=days).test_client().get("/")
    text = page.get_data(as_text=True)
    assert label in text
    assert "Start free<" not in text
