"""How long a signup waits for Cello's attribution library, in Chromium, proven without
timing anything: the page's wait is set to ten minutes, so a signup that arrives at all
did not wait for it. It waits for a library on its way, never for one that failed."""

from __future__ import annotations

from conftest import CELLO_HOSTS, HERE
from test_journey import INVITE, sign_up

AFTER_SIGNUP = "**/pricing"
# Ten minutes: a submit that waited for this timer would never reach the next page.
TEN_MINUTES = "window.MoonlySignup = {timeoutMs: 600000, maxTimeoutMs: 600000};"
DOUBLE = (HERE / "cello_attribution_double.js").read_text()


def invited_page(new_context, cello: str):
    """A visitor who opened the invite link, on a page whose signup waits 10 minutes."""
    context = new_context(cello)
    context.add_init_script(TEN_MINUTES)
    return context.new_page()


def hold_the_library(page) -> list:
    """Hold every request for Cello's library until the test answers it."""
    held: list = []
    page.route(CELLO_HOSTS, lambda route: held.append(route))
    return held


def test_a_library_that_failed_before_the_click_does_not_delay_the_signup(
    live_server, new_context, shots
):
    page = invited_page(new_context, "blocked")
    page.goto(live_server.url + INVITE)
    page.goto(live_server.url + "/signup")
    # The page knows the library failed before anyone clicks.
    page.wait_for_function("() => window.MoonlySignup.libraryFailed === true")
    sign_up(page, "failed-early@example.com")
    page.click("#signup-submit")
    page.wait_for_url(AFTER_SIGNUP, timeout=15_000)
    shots.take(page, "after-signup")
    user = live_server.journey("failed-early@example.com")["user"]
    assert (user["ucc"], user["ucc_source"]) == ("UPobYBDuu0N", "cookie")


def test_a_library_that_fails_while_the_signup_waits_releases_it(
    live_server, new_context
):
    page = invited_page(new_context, "double")
    page.goto(live_server.url + INVITE)
    held = hold_the_library(page)
    page.goto(live_server.url + "/signup", wait_until="domcontentloaded")
    sign_up(page, "failed-late@example.com")
    page.click("#signup-submit")
    page.wait_for_timeout(500)
    assert page.url.endswith("/signup"), "the signup did not wait for the library"
    assert page.get_attribute("#signup-submit", "aria-busy") == "true"
    assert held, "the page never asked for the library"
    for route in held:
        route.abort("blockedbyclient")
    # The next page asks for the library again, and is held too: no "load" event.
    page.wait_for_url(AFTER_SIGNUP, wait_until="domcontentloaded", timeout=15_000)
    user = live_server.journey("failed-late@example.com")["user"]
    assert (user["ucc"], user["ucc_source"]) == ("UPobYBDuu0N", "cookie")


def test_a_slow_library_is_waited_for_and_its_ucc_kept(live_server, new_context):
    page = invited_page(new_context, "double")
    # The library sets its own cookie on the invite link; the signup's getUcc reads it.
    page.goto(live_server.url + "/?ucc=FromTheLibrary&productId=moonly.example")
    held = hold_the_library(page)
    page.goto(live_server.url + "/signup", wait_until="domcontentloaded")
    sign_up(page, "slow@example.com")
    page.click("#signup-submit")
    # Longer than the most a signup ever waits by default (2 s): the ten minutes hold.
    page.wait_for_timeout(2500)
    assert page.url.endswith("/signup"), "the signup did not wait for the library"
    for route in held:
        route.fulfill(body=DOUBLE, content_type="text/javascript")
    page.wait_for_url(AFTER_SIGNUP, wait_until="domcontentloaded", timeout=15_000)
    user = live_server.journey("slow@example.com")["user"]
    assert (user["ucc"], user["ucc_source"]) == ("FromTheLibrary", "form")


def test_a_working_library_answers_at_once_with_its_ucc(
    live_server, new_context, shots
):
    page = invited_page(new_context, "double")
    page.goto(live_server.url + INVITE)
    page.goto(live_server.url + "/signup")
    page.wait_for_function("() => window.__celloDoubleLoaded === true")
    sign_up(page, "working@example.com")
    page.click("#signup-submit")
    page.wait_for_url(AFTER_SIGNUP, timeout=15_000)
    user = live_server.journey("working@example.com")["user"]
    assert (user["ucc"], user["ucc_source"]) == ("UPobYBDuu0N", "form")
