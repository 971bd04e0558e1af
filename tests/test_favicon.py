"""The site's icon: linked from every page, and at /favicon.ico where browsers look
for it without being told (no 404 in a fresh browser)."""

import re

import pytest


def fetch(client, path: str) -> tuple[int, str, bytes, int | None]:
    """Status, type, body and max-age of a file response (closed after reading)."""
    response = client.get(path)
    try:
        return (
            response.status_code,
            response.mimetype,
            response.get_data(),
            response.cache_control.max_age,
        )
    finally:
        response.close()


def test_favicon_ico_serves_the_svg_icon(client):
    status, mimetype, body, max_age = fetch(client, "/favicon.ico")
    assert (status, mimetype, max_age) == (200, "image/svg+xml", 86400)
    assert body.startswith(b"<svg")


@pytest.mark.parametrize("path", ["/", "/signup", "/login", "/pricing"])
def test_every_page_links_the_icon(client, path):
    html = client.get(path).get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert link is not None
    status, mimetype, body, _ = fetch(client, link.group(1))
    assert (status, mimetype) == (200, "image/svg+xml")
    assert body == fetch(client, "/favicon.ico")[2]
