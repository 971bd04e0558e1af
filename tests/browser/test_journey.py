"""The whole referral journey in a real browser: invite, signup, checkout, console."""

INVITE = "/?ucc=UPobYBDuu0N&productId=moonly.example&referrerName=Alice"
PASSWORD = "correct horse battery staple"


def sign_up(page, email: str) -> None:
    page.fill("#name", "Ana Lima")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)


def test_invite_link_banner_and_signup_keep_the_ucc_from_getucc(
    live_server, new_context, shots
):
    page = new_context("double").new_page()
    page.goto(live_server.url + INVITE)
    banner = page.locator("#invite-banner")
    assert " ".join(banner.inner_text().split()).startswith(
        "Alice invited you: 20 % off your first 3 months"
    )
    shots.take(page, "landing")
    banner.get_by_role("link").click()
    page.wait_for_url("**/signup")
    assert page.evaluate("window.__celloDoubleLoaded") is True
    sign_up(page, "form@example.com")
    shots.take(page, "signup")
    page.click("#signup-submit")
    page.wait_for_url("**/pricing")
    shots.take(page, "plans")
    user = live_server.journey("form@example.com")["user"]
    assert (user["ucc"], user["ucc_source"]) == ("UPobYBDuu0N", "form")


def test_signup_works_with_javascript_disabled(live_server, new_context, shots):
    page = new_context("double", java_script_enabled=False).new_page()
    page.goto(live_server.url + INVITE)
    assert "Alice invited you" in page.inner_text("#invite-banner")
    page.goto(live_server.url + "/signup")
    sign_up(page, "nojs@example.com")
    shots.take(page, "signup-nojs")
    page.click("#signup-submit")
    page.wait_for_url("**/pricing")
    shots.take(page, "plans-nojs")
    user = live_server.journey("nojs@example.com")["user"]
    assert (user["ucc"], user["ucc_source"]) == ("UPobYBDuu0N", "cookie")


def test_referred_checkout_shows_the_discount_and_a_declined_card_the_error(
    live_server, new_context, shots
):
    page = new_context("double").new_page()
    page.goto(live_server.url + INVITE)
    page.goto(live_server.url + "/signup")
    sign_up(page, "buyer@example.com")
    page.click("#signup-submit")
    page.wait_for_url("**/pricing")  # the plans, straight after signup
    shots.take(page, "pricing")
    starter = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Starter")
    )
    starter.get_by_role("link", name="Choose monthly").click()
    page.wait_for_url("**/checkout/moonly_starter_monthly")
    assert "$9.60/month for 3 months, then $12.00/month" in page.inner_text(
        "#checkout-summary"
    )
    page.check("input[value=pm_card_chargeDeclined]")
    page.click("#checkout-submit")
    error = page.locator("#checkout-error")
    error.wait_for()
    assert "Your card was declined." in error.inner_text()
    shots.take(page, "checkout-declined")
    # The declined card is not kept: the default card is selected again.
    assert not page.is_checked("input[value=pm_card_chargeDeclined]")
    assert page.is_checked("input[value=pm_card_visa]")
    page.click("#checkout-submit")
    page.wait_for_url("**/account")
    shots.take(page, "account-subscribed")
    assert "Next invoice: $9.60" in " ".join(page.inner_text("#next-invoice").split())
    assert "20 % off until" in page.inner_text("#subscription-discount")
    assert "$9.60" in page.inner_text("#invoices")


def test_console_shows_the_journey_and_updates_without_reloading(
    live_server, new_context, shots
):
    context = new_context("double")
    visitor = context.new_page()
    visitor.goto(live_server.url + INVITE)
    visitor.goto(live_server.url + "/signup")
    sign_up(visitor, "live@example.com")
    visitor.click("#signup-submit")
    visitor.wait_for_url("**/pricing")
    user_id = live_server.journey("live@example.com")["user"]["id"]

    console = new_context("double").new_page()
    console.goto(f"{live_server.url}/demo/?user={user_id}")
    steps = console.locator("#timeline-steps")
    steps.get_by_role("heading", name="Signed up").wait_for()
    steps.get_by_role("heading", name="Stripe customer created").wait_for()
    shots.take(console, "console-signup")
    console.evaluate("window.__notReloaded = true")

    visitor.goto(live_server.url + "/checkout/moonly_starter_monthly")
    visitor.click("#checkout-submit")
    visitor.wait_for_url("**/account")

    # The console polls: the subscription, the invoice and the webhooks appear by
    # themselves.
    steps.get_by_role("heading", name="Subscription active").wait_for(timeout=15_000)
    steps.get_by_role("heading", name="Invoice paid").wait_for(timeout=15_000)
    steps.get_by_text("invoice.paid").first.wait_for(timeout=15_000)
    console.locator("#cello-view").get_by_text("invoice.paid").first.wait_for(
        timeout=15_000
    )
    assert console.evaluate("window.__notReloaded") is True
    assert "Ana Lima" in console.inner_text("#journey-list")
    shots.take(console, "console-subscribed")
