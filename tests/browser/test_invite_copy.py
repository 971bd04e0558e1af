"""The referrer's name on the landing banner and the signup page, in Chromium: the
same words on both, and a 60-character name shown whole, never cut off the edge of a
phone."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from conftest import ARTIFACTS

# 60 characters without a space: the hardest name to fit on a 390-pixel phone.
NAME = "Wolfeschlegelsteinhausenbergerdorff-Bartholomew-Fitzgeraldss"


def overflows(page, selector: str) -> bool:
    """Whether the element's content is wider than the element (cut off)."""
    return page.eval_on_selector(selector, "e => e.scrollWidth > e.clientWidth")


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_a_long_referrer_name_is_whole_on_the_landing_and_the_signup(
    live_server, new_context, width, height
):
    assert len(NAME) == 60
    page = new_context("blocked").new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(
        f"{live_server.url}/?ucc=UPobYBDuu0N&productId=p&referrerName={quote(NAME)}"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"invite-long-name-landing-{width}x{height}.png")
    banner = " ".join(page.inner_text("#invite-banner").split())
    assert banner.startswith(f"{NAME} invited you: 20 % off your first 3 months")
    assert not overflows(page, ".invite-text")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.locator("#invite-banner").get_by_role("link").click()
    page.wait_for_url("**/signup")
    page.screenshot(path=ARTIFACTS / f"invite-long-name-signup-{width}x{height}.png")
    note = " ".join(page.inner_text("#signup-invite-note").split())
    assert note == f"{NAME} invited you: 20 % off your first 3 months"
    assert not overflows(page, "#signup-invite-note > span")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
