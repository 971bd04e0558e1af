"""Every page a visitor or a salesperson sees, audited in Chromium by axe-core (from
the npm registry, pinned in tests/browser/package-lock.json and injected into the test
browser only): no serious or critical violation of WCAG 2.0, 2.1 and 2.2 A/AA or axe's
best practices. Each page's full results go to test-artifacts/accessibility/
(git-ignored)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from test_journey import INVITE, sign_up

HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = HERE.parent.parent / "test-artifacts" / "accessibility"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("serious", "critical")
RUN_AXE = """tags => axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations", "incomplete"],
})"""
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
CHECKOUT = "/checkout/moonly_starter_monthly"


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.exists():
        message = (
            "axe-core is missing: `make test` installs it "
            "(or `npm ci --prefix tests/browser`)."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE


def left(page, path: str) -> None:
    """Wait until the browser has left `path` (a form's answer redirected it)."""
    page.wait_for_url(lambda url: path not in url)


def signed_up(page, base: str) -> None:
    """Arrive by Alice's invite link and create an account."""
    page.goto(base + INVITE)
    page.goto(base + "/signup")
    sign_up(page, "audit@example.com")
    page.click("#signup-submit")
    left(page, "/signup")


def subscribed(page, base: str) -> None:
    """A referred visitor who subscribed with the test Visa."""
    signed_up(page, base)
    page.goto(base + CHECKOUT)
    page.check("input[value=pm_card_visa]")
    page.click("#checkout-submit")
    left(page, CHECKOUT)


def on_hosted_checkout(page, base: str) -> None:
    signed_up(page, base)
    page.goto(base + CHECKOUT)
    page.click("#hosted-checkout-submit")
    page.wait_for_url("**/_stripe-sandbox/pay/cs_*")


def reach_landing(page, base):
    page.goto(base + "/")


def reach_landing_invited(page, base):
    page.goto(base + INVITE)


def reach_signup(page, base):
    page.goto(base + INVITE)
    page.goto(base + "/signup")


def reach_signup_errors(page, base):
    page.goto(base + "/signup")
    page.fill("#email", "not an address")
    page.fill("#password", "short")
    page.click("#signup-submit")
    page.locator(".field-error").first.wait_for()


def reach_login(page, base):
    page.goto(base + "/login")


def reach_pricing(page, base):
    signed_up(page, base)
    page.goto(base + "/pricing")


def reach_checkout(page, base):
    signed_up(page, base)
    page.goto(base + CHECKOUT)


def reach_checkout_declined(page, base):
    reach_checkout(page, base)
    page.check("input[value=pm_card_chargeDeclined]")
    page.click("#checkout-submit")
    page.locator("#checkout-error").wait_for()


def reach_hosted_checkout(page, base):
    on_hosted_checkout(page, base)


def reach_hosted_declined(page, base):
    on_hosted_checkout(page, base)
    page.get_by_label("Visa ending in 0002").check()
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("alert").wait_for()


def reach_hosted_3d_secure(page, base):
    on_hosted_checkout(page, base)
    page.get_by_label("Visa ending in 3184").check()
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Confirm your payment").wait_for()


def reach_checkout_success(page, base):
    on_hosted_checkout(page, base)
    page.click("#pay-form button[type=submit]")
    page.wait_for_url("**/checkout/success?session_id=cs_*")


def reach_account(page, base):
    subscribed(page, base)
    page.goto(base + "/account")


def reach_portal(page, base):
    subscribed(page, base)
    page.goto(base + "/account")
    page.click("#manage-billing-submit")
    page.wait_for_url("**/_stripe-sandbox/portal/bps_*")


def reach_password(page, base):
    signed_up(page, base)
    page.goto(base + "/account/password")


def reach_logged_out(page, base):
    signed_up(page, base)
    page.get_by_role("button", name="Log out").click()
    page.locator(".alert").wait_for()


def reach_console(page, base):
    signed_up(page, base)
    page.goto(base + "/demo/")
    # The console shows the journey it follows under a heading with the user's name.
    page.get_by_role("heading", name=re.compile("Ana Lima")).first.wait_for()


def reach_not_found(page, base):
    page.goto(base + "/no-such-page")


PAGES: dict[str, Callable] = {
    "landing": reach_landing,
    "landing-invited": reach_landing_invited,
    "signup": reach_signup,
    "signup-errors": reach_signup_errors,
    "login": reach_login,
    "pricing": reach_pricing,
    "checkout": reach_checkout,
    "checkout-declined": reach_checkout_declined,
    "hosted-checkout": reach_hosted_checkout,
    "hosted-checkout-declined": reach_hosted_declined,
    "hosted-3d-secure": reach_hosted_3d_secure,
    "checkout-success": reach_checkout_success,
    "account": reach_account,
    "portal": reach_portal,
    "password": reach_password,
    "logged-out": reach_logged_out,
    "console": reach_console,
    "not-found": reach_not_found,
}
ON_PHONE = (
    "landing-invited",
    "signup",
    "checkout",
    "hosted-checkout",
    "account",
    "portal",
    "console",
)
CASES = [
    pytest.param(name, size, id=f"{name}-{size}")
    for name in PAGES
    for size in SIZES
    if size == "desktop" or name in ON_PHONE
]


def audit(page) -> dict:
    """Run axe on the page as it is: its violations (worst first) and what axe could
    not decide (`incomplete`, e.g. text over a gradient), kept for a person to check."""
    result = page.evaluate(RUN_AXE, TAGS)
    order = {"critical": 0, "serious": 1, "moderate": 2, "minor": 3}
    result["violations"].sort(key=lambda v: order.get(v["impact"], 4))
    return result


def blocking(result: dict) -> list[dict]:
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def describe(where: str, violations: list[dict]) -> str:
    lines = [f"{where}: {len(violations)} serious or critical accessibility violations"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f"  <{violation['helpUrl'].split('?')[0]}>"
        )
        for node in violation["nodes"][:8]:
            target = " ".join(
                " >> ".join(t) if isinstance(t, list) else t for t in node["target"]
            )
            summary = node.get("failureSummary", "").splitlines()
            detail = summary[1].strip() if len(summary) > 1 else ""
            lines.append(f"    {target}  {detail}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.mark.parametrize(("name", "size"), CASES)
def test_page_has_no_serious_accessibility_violation(
    name, size, axe_script, live_server, new_context, shots
):
    width, height = SIZES[size]
    context = new_context("double")
    # An init script is injected past the pages' Content-Security-Policy (the sandbox's
    # pages allow no script at all), and only into this test browser.
    context.add_init_script(path=str(axe_script))
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    PAGES[name](page, live_server.url)
    page.wait_for_load_state("load")
    shots.take(page, name)
    result = audit(page)
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = {key: result[key] for key in ("url", "violations", "incomplete")}
    (REPORTS / f"{name}-{size}.json").write_text(json.dumps(report, indent=2))
    assert not blocking(result), describe(
        f"{name} ({page.url}) at {width}x{height}", blocking(result)
    )


BROKEN = """<!doctype html><html><head><title>Broken</title></head><body>
<img src="data:,"><p style="color:#aaa;background:#fff">Faint text</p>
<button id="nameless"></button></body></html>"""


def test_the_audit_catches_known_violations_with_the_pinned_axe(
    axe_script, new_context
):
    """The audit is live: axe is the pinned one and it fails a page built to fail."""
    context = new_context("blocked")
    context.add_init_script(path=str(axe_script))
    context.route(
        "http://broken.test/",
        lambda route: route.fulfill(body=BROKEN, content_type="text/html"),
    )
    page = context.new_page()
    page.goto("http://broken.test/")
    lock = json.loads((HERE / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/axe-core"]["version"]
    assert page.evaluate("axe.version") == pinned
    found = blocking(audit(page))
    assert {v["id"] for v in found} >= {
        "html-has-lang",
        "image-alt",
        "color-contrast",
        "button-name",
    }
    message = describe("broken", found)
    assert "- image-alt (critical): Images must have alternative text" in message
    assert "#nameless" in message
