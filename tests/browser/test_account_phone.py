"""The account page's invoices on a 390-wide phone, in Chromium: each invoice a card
of its own, every column readable, nothing to scroll sideways; a table on a desktop."""

from conftest import ARTIFACTS
from test_first_screen import signed_up


def subscribed_account(live_server, new_context, email: str, width: int, height: int):
    page = signed_up(live_server, new_context, email, width, height)
    page.goto(live_server.url + "/checkout/moonly_starter_monthly")
    page.click("#checkout-submit")
    page.wait_for_url("**/account")
    return page


def test_invoices_fit_a_phone_without_sideways_scrolling(live_server, new_context):
    page = subscribed_account(live_server, new_context, "phone@example.com", 390, 844)
    invoices = page.locator("#invoices")
    invoices.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "account-390x844.png", full_page=True)
    invoices.screenshot(path=ARTIFACTS / "account-invoices-390x844.png")
    wrap = page.eval_on_selector(".table-wrap", "e => [e.scrollWidth, e.clientWidth]")
    assert wrap[0] <= wrap[1], f"the invoices scroll sideways: {wrap}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Every column is on screen, each value beside its label.
    box = invoices.bounding_box()
    for label, value in (("Paid", "$9.60"), ("Discount", "$2.40"), ("Status", "Paid")):
        cell = invoices.locator(f"td[data-label={label}]").first
        assert value in cell.inner_text()
        assert label in cell.evaluate("e => getComputedStyle(e, '::before').content")
        cell_box = cell.bounding_box()
        assert cell_box["x"] + cell_box["width"] <= box["x"] + box["width"]


def test_invoices_stay_a_table_on_a_desktop(live_server, new_context):
    page = subscribed_account(live_server, new_context, "desk@example.com", 1280, 800)
    assert page.locator("#invoices thead").is_visible()
    assert page.eval_on_selector(
        "#invoices tr", "e => getComputedStyle(e).display"
    ) == ("table-row")
