"""A fresh Chromium visiting the shop meets no 404: it fetches the icon the page links,
and /favicon.ico, where browsers look by default, answers with the same icon."""

ICON_WIDTH = """href => new Promise(resolve => {
  const image = new Image();
  image.onload = () => resolve(image.naturalWidth);
  image.onerror = () => resolve(0);
  image.src = href;
})"""


def test_a_fresh_browser_fetches_the_linked_icon_and_meets_no_404(
    live_server, new_context
):
    page = new_context("blocked").new_page()
    failed = []
    page.on(
        "response",
        lambda r: (
            r.url.startswith(live_server.url)
            and r.status >= 400
            and failed.append((r.status, r.url))
        ),
    )
    # Chromium asks for the page's icon by itself.
    with page.expect_response(lambda r: "favicon" in r.url) as icon:
        page.goto(live_server.url + "/")
    assert icon.value.status == 200
    assert icon.value.headers["content-type"].startswith("image/svg+xml")
    assert page.evaluate(ICON_WIDTH, icon.value.url) > 0  # an image it can draw
    assert failed == []


def test_favicon_ico_answers_with_the_icon(live_server, browser):
    # A context without routes: Playwright aborts /favicon.ico whenever one is set.
    context = browser.new_context()
    try:
        response = context.new_page().goto(live_server.url + "/favicon.ico")
        assert response.status == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
    finally:
        context.close()
