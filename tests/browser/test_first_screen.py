"""What an invited visitor sees without scrolling, in Chromium at 1280x800 and 1024x768
(and on a 390-wide phone, screenshots only): after signup the plans, each with its
button on the first screen; on the checkout page both ways to pay, the error of a
declined card included."""

from __future__ import annotations

import pytest
from conftest import ARTIFACTS
from test_journey import INVITE, sign_up

SCREENS = [(1280, 800), (1024, 768)]


def first_screen(page, name: str) -> None:
    """Save what the viewport shows, no more (test-artifacts/screenshots/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"first-screen-{name}.png")


def assert_on_first_screen(page, selector: str) -> None:
    height = page.viewport_size["height"]
    boxes = [element.bounding_box() for element in page.locator(selector).all()]
    assert boxes, f"{selector} is not on the page"
    for box in boxes:
        assert box is not None and box["height"] > 0, f"{selector} is hidden"
        bottom = box["y"] + box["height"]
        assert bottom <= height, f"{selector} ends at {bottom:.0f} px, below {height}"


def signed_up(live_server, new_context, email: str, width: int, height: int):
    page = new_context("double").new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server.url + INVITE)
    page.goto(live_server.url + "/signup")
    sign_up(page, email)
    page.click("#signup-submit")
    page.wait_for_url("**/pricing")
    return page


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_signup_lands_on_the_plans_with_every_button_on_the_first_screen(
    live_server, new_context, width, height
):
    page = signed_up(
        live_server, new_context, f"plans{width}@example.com", width, height
    )
    assert "Welcome to Moonly" in page.inner_text(".flashes")
    assert "With your invite: $9.60/month" in page.inner_text(".plans")
    first_screen(page, f"pricing-{width}x{height}")
    assert_on_first_screen(page, "a:text('Choose monthly')")
    assert page.evaluate("scrollY") == 0


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_checkout_shows_both_ways_to_pay_on_the_first_screen(
    live_server, new_context, width, height
):
    page = signed_up(live_server, new_context, f"pay{width}@example.com", width, height)
    page.get_by_role("link", name="Choose monthly").first.click()
    page.wait_for_url("**/checkout/moonly_starter_monthly")
    first_screen(page, f"checkout-{width}x{height}")
    assert_on_first_screen(page, "#checkout-summary")
    assert_on_first_screen(page, "#hosted-checkout-submit")
    assert_on_first_screen(page, "#checkout-submit")

    page.check("input[value=pm_card_chargeDeclined]")
    page.click("#checkout-submit")
    page.locator("#checkout-error").wait_for()
    first_screen(page, f"checkout-declined-{width}x{height}")
    assert_on_first_screen(page, "#checkout-error")
    assert_on_first_screen(page, "#checkout-submit")


def test_the_plans_and_checkout_on_a_phone(live_server, new_context):
    page = signed_up(live_server, new_context, "phone@example.com", 390, 844)
    first_screen(page, "pricing-390x844")
    page.get_by_role("link", name="Choose monthly").first.click()
    page.wait_for_url("**/checkout/moonly_starter_monthly")
    page.screenshot(path=ARTIFACTS / "full-page-checkout-390x844.png", full_page=True)
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
