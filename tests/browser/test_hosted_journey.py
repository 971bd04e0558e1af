"""A visitor pays on the hosted Checkout page and manages the plan in the portal, in
Chromium: invite link → signup → checkout → hosted page → success → account → portal →
switch to Pro."""

import time

from test_journey import INVITE, sign_up


def test_invite_to_hosted_checkout_to_portal_switch_to_pro(
    live_server, new_context, shots
):
    page = new_context("double").new_page()
    page.goto(live_server.url + INVITE)
    page.goto(live_server.url + "/signup")
    sign_up(page, "hosted@example.com")
    page.click("#signup-submit")
    page.wait_for_url("**/pricing")

    page.goto(live_server.url + "/checkout/moonly_starter_monthly")
    shots.take(page, "checkout-both-ways")
    page.click("#hosted-checkout-submit")
    page.wait_for_url("**/_stripe-sandbox/pay/cs_*")
    assert page.inner_text("#due-today").strip() == "$9.60"
    shots.take(page, "hosted-page")
    page.click("#pay-form button[type=submit]")  # the first form, as rendered
    page.wait_for_url("**/checkout/success?session_id=cs_*")
    assert "$9.60" in page.inner_text("#success-paid")
    shots.take(page, "success")

    page.goto(live_server.url + "/account")
    assert "Moonly Starter" in page.inner_text("#subscription-plan")
    page.click("#manage-billing-submit")
    page.wait_for_url("**/_stripe-sandbox/portal/bps_*")
    shots.take(page, "portal")
    page.get_by_role("button", name="Switch to Moonly Pro").first.click()
    page.wait_for_load_state()
    shots.take(page, "portal-switched")
    page.get_by_role("link", name="Return to the site").click()
    page.wait_for_url("**/account")

    # The change comes back by webhook (the live server's background deliverer).
    deadline = time.monotonic() + 15
    while "Moonly Pro" not in page.inner_text("#subscription-plan"):
        assert time.monotonic() < deadline, "the plan change never reached /account"
        time.sleep(0.5)
        page.reload()
    shots.take(page, "account-pro")
    journey = live_server.journey("hosted@example.com")
    assert journey["user"]["ucc"] == "UPobYBDuu0N"
    assert any(s["key"] == "checkout-session" for s in journey["timeline"])
