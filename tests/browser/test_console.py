"""The sales console in Chromium, as a salesperson drives it during a live demo.

It follows each new signup by itself, shows the journey at a glance on the first screen
(1280x800 and 1024x768), shows what each console button did there, shows a declined
card, and starts a clean visitor without an invite in the same browser.
"""

from pathlib import Path

import pytest

PASSWORD = "correct horse battery staple"
SIZES = [(1280, 800), (1024, 768)]
LIVE = 20_000  # ms: the console polls every 2 s; webhooks arrive in the background


def sign_up(page, name: str, email: str) -> None:
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#signup-submit")
    page.wait_for_url(lambda url: "/signup" not in url)


def on_first_screen(page, selector: str) -> None:
    """The element is fully inside the viewport, with the page not scrolled."""
    assert page.evaluate("window.scrollY") == 0
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    height = page.viewport_size["height"]
    assert 0 <= box["y"] and box["y"] + box["height"] <= height, (selector, box)


def screen(shots, page, label: str) -> None:
    """Save what the first screen shows (the viewport), beside the full page."""
    shots.count += 1
    path = f"{shots.name}-{shots.count:02d}-{label}-screen.png"
    page.screenshot(path=str(shots_dir() / path))
    shots.take(page, label)


def shots_dir() -> Path:
    """Where the browser tests' conftest saves screenshots (test-artifacts/)."""
    return Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def open_console(context, live_server, size):
    console = context.new_page()
    console.set_viewport_size({"width": size[0], "height": size[1]})
    console.goto(live_server.url + "/demo/")
    console.evaluate("window.__notReloaded = true")
    return console


def open_from_console(console, button: str):
    """Click one of the console's "Open as …" buttons; return the visitor's window."""
    with console.context.expect_page() as opened:
        console.click(button)
    visitor = opened.value
    visitor.wait_for_load_state()
    assert "/demo/" not in visitor.url, visitor.url  # the fresh visit went through
    return visitor


@pytest.mark.parametrize("size", SIZES, ids=["1280x800", "1024x768"])
def test_the_console_follows_a_new_signup_by_itself(
    live_server, new_context, shots, size
):
    rehearsal = new_context("double").new_page()
    rehearsal.goto(live_server.url + "/signup")
    sign_up(rehearsal, "Rehearsal Rita", "rita@example.com")

    console = open_console(new_context("double"), live_server, size)
    assert console.inner_text("#journey-title") == "Rehearsal Rita"

    visitor = new_context("double").new_page()
    visitor.goto(live_server.url + "/?ucc=DaveCode123&productId=moonly.example")
    visitor.goto(live_server.url + "/signup")
    sign_up(visitor, "Dave Visitor", "dave@example.com")

    title = console.locator("#journey-title")
    title.filter(has_text="Dave Visitor").wait_for(timeout=LIVE)
    note = console.locator("#follow-note")
    assert note.inner_text() == "New signup: Dave Visitor — now following."
    assert "DaveCode123" in console.inner_text("#glance-referral")
    assert console.evaluate("window.__notReloaded") is True
    on_first_screen(console, "#glance")
    screen(shots, console, "followed")

    # Pinned: a click on the rehearsal keeps it, even when someone else signs up.
    console.get_by_role("link", name="Rehearsal Rita").click()
    console.wait_for_url("**/demo/?user=*")
    other = new_context("double").new_page()
    other.goto(live_server.url + "/signup")
    sign_up(other, "Eve Later", "eve@example.com")
    console.locator("#follow-note").filter(has_text="Newer signup: Eve Later").wait_for(
        timeout=LIVE
    )
    assert console.inner_text("#journey-title") == "Rehearsal Rita"


@pytest.mark.parametrize("size", SIZES, ids=["1280x800", "1024x768"])
def test_a_paid_referred_signup_and_each_renewal_show_on_the_first_screen(
    live_server, new_context, shots, size
):
    context = new_context("double")
    console = open_console(context, live_server, size)
    console.fill("#referrer-name", "Alice")
    console.fill("#ucc-input", "AliceCode01")
    console.locator("#invite-link").filter(has_text="ucc=AliceCode01").wait_for()

    # From the console to a paid referred journey: 5 clicks and the 3 signup fields.
    visitor = open_from_console(console, "#open-visitor")  # click 1
    assert "Alice invited you" in visitor.inner_text("#invite-banner")
    visitor.locator("#invite-banner").get_by_role("link").click()  # click 2
    sign_up(visitor, "Paula Paid", "paula@example.com")  # 3 fields, click 3
    assert visitor.url.endswith("/pricing")
    visitor.click("a[href$='/checkout/moonly_starter_monthly']")  # click 4
    visitor.click("#checkout-submit")  # click 5
    visitor.wait_for_url("**/account")

    console.bring_to_front()
    payments = console.locator("#glance-payments")
    payments.filter(has_text="$9.60").wait_for(timeout=LIVE)
    assert console.inner_text("#journey-title") == "Paula Paid"
    assert "cello_ucc=AliceCode01" in console.inner_text("#glance-customer")
    assert "Alice's invite" in console.inner_text("#glance-referral")
    on_first_screen(console, "#glance")
    screen(shots, console, "paid")

    console.get_by_role("button", name="Advance to the next period").click()
    console.locator("#action-result").filter(has_text="Next period").wait_for()
    assert console.locator("#glance-payments .payment").all_inner_texts() == [
        "$9.60",
        "$9.60",
    ]
    on_first_screen(console, "#glance")
    screen(shots, console, "advanced")

    # Two more renewals: the third is the last discounted one, then full price.
    for count in (3, 4):
        console.get_by_role("button", name="Advance to the next period").click()
        console.locator("#glance-payments .payment").nth(count - 1).wait_for()
    amounts = console.locator("#glance-payments .payment .amount").all_inner_texts()
    assert amounts == ["$9.60", "$9.60", "$9.60", "$12.00"]
    assert "discount ended" in console.inner_text("#glance-payments")
    console.locator("#glance-cello").filter(has_text="Stripe events").wait_for()
    on_first_screen(console, "#glance")
    assert console.evaluate("window.__notReloaded") is True
    screen(shots, console, "discount-ended")


def test_a_declined_card_shows_in_the_timeline(live_server, new_context, shots):
    visitor = new_context("double").new_page()
    visitor.goto(live_server.url + "/?ucc=DeclineMe&productId=moonly.example")
    visitor.goto(live_server.url + "/signup")
    sign_up(visitor, "Dee Clined", "dee@example.com")
    visitor.goto(live_server.url + "/checkout/moonly_starter_monthly")
    visitor.check("input[value=pm_card_chargeDeclined]")
    visitor.click("#checkout-submit")
    visitor.locator("#checkout-error").wait_for()

    console = open_console(new_context("double"), live_server, SIZES[0])
    step = console.locator("#timeline-steps .step-failed").filter(
        has_text="Card declined"
    )
    step.first.wait_for(timeout=LIVE)
    assert "Your card was declined" in step.first.inner_text()
    step.first.scroll_into_view_if_needed()
    shots.take(console, "declined")


@pytest.mark.parametrize("size", SIZES, ids=["1280x800", "1024x768"])
def test_a_visitor_without_an_invite_pays_full_price_in_the_same_browser(
    live_server, new_context, shots, size
):
    context = new_context("double")
    console = open_console(context, live_server, size)
    invited = open_from_console(console, "#open-visitor")
    invited.goto(live_server.url + "/signup")
    sign_up(invited, "Ivy Invited", "ivy@example.com")
    invited.close()

    uninvited = open_from_console(console, "#open-uninvited")
    assert uninvited.locator("#invite-banner").count() == 0
    uninvited.goto(live_server.url + "/signup")
    sign_up(uninvited, "Nora Noinvite", "nora@example.com")
    uninvited.goto(live_server.url + "/checkout/moonly_starter_monthly")
    assert "$12.00" in uninvited.inner_text("#checkout-summary")
    uninvited.click("#checkout-submit")
    uninvited.wait_for_url("**/account")

    console.bring_to_front()
    console.locator("#journey-title").filter(has_text="Nora Noinvite").wait_for(
        timeout=LIVE
    )
    console.locator("#glance-payments").filter(has_text="$12.00").wait_for(timeout=LIVE)
    assert "No invite" in console.inner_text("#glance-referral")
    on_first_screen(console, "#glance")
    screen(shots, console, "no-invite")


def test_the_console_on_a_phone_puts_the_journey_first_and_fits(
    live_server, new_context, shots
):
    visitor = new_context("double").new_page()
    visitor.goto(live_server.url + "/?ucc=PhoneCode1&productId=moonly.example")
    visitor.goto(live_server.url + "/signup")
    sign_up(visitor, "Phil Phone", "phil@example.com")
    visitor.goto(live_server.url + "/checkout/moonly_starter_monthly")
    visitor.click("#checkout-submit")
    visitor.wait_for_url("**/account")

    console = open_console(new_context("double"), live_server, (390, 844))
    console.locator("#glance-payments").filter(has_text="$9.60").wait_for(timeout=LIVE)
    console.locator("#cello-events").wait_for(timeout=LIVE)
    width = console.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px wide"
    glance = console.locator("#glance").bounding_box()
    invite = console.locator("#invite-builder").bounding_box()
    assert glance["y"] < invite["y"]  # the journey first, the builder below
    screen(shots, console, "phone")
