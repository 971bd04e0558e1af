"""The site's icon (moonly/static/favicon.svg): linked from every page, and at
/favicon.ico where browsers look for it without being told (no 404 in a fresh
browser)."""

import re
from pathlib import Path

import pytest

ICON = (Path(__file__).parent.parent / "moonly/static/favicon.svg").read_bytes()


@pytest.mark.parametrize("path", ["/favicon.ico", "/favicon.svg"])
def test_the_icon_is_served_as_svg_and_cached_for_a_day(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data() == ICON
    assert response.cache_control.max_age == 86400


@pytest.mark.parametrize("path", ["/", "/signup", "/login", "/pricing"])
def test_every_page_links_the_icon(client, path):
    html = client.get(path).get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert link is not None and link.group(1) == "/favicon.svg"
    assert client.get(link.group(1)).get_data() == ICON
