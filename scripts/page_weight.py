"""A page's weight for `make bench`: its HTML, the same-origin stylesheets and scripts
it references, the external ones, and what blocks rendering in its `<head>`."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from traffic import Client


@dataclass(frozen=True)
class Resource:
    kind: str  # "script" or "stylesheet"
    url: str  # as the page wrote it
    in_head: bool
    attrs: dict[str, str]

    @property
    def blocking(self) -> bool:
        """A `<script src>` without async, defer or type=module, or a stylesheet
        whose media is absent or matches the screen."""
        if self.kind == "script":
            return bool(
                self.url
                and "async" not in self.attrs
                and "defer" not in self.attrs
                and self.attrs.get("type", "").lower() != "module"
            )
        media = self.attrs.get("media", "").strip().lower()
        return media in ("", "all", "screen") or "screen" in media


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_head = False
        self.resources: list[Resource] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False
        elif tag == "script":
            self.resources.append(Resource("script", a.get("src", ""), self.in_head, a))
        elif tag == "link" and "stylesheet" in a.get("rel", "").lower().split():
            self.resources.append(
                Resource("stylesheet", a.get("href", ""), self.in_head, a)
            )

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False


@dataclass(frozen=True)
class Own:
    kind: str
    path: str
    size: int
    status: int | None


@dataclass
class Weight:
    status: int | None
    html: int
    own: list[Own] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    blocking: list[Resource] = field(default_factory=list)
    inline: int = 0
    inline_head: int = 0

    @property
    def own_total(self) -> int:
        return self.html + sum(resource.size for resource in self.own)


def page_weight(base: str, path: str) -> Weight:
    client = Client(base, timeout=30)
    page = client.get(path)
    parser = PageParser()
    parser.feed(page.text)
    origin = urlsplit(base).netloc
    weight = Weight(page.status, len(page.body))
    scripts_first = sorted(parser.resources, key=lambda r: r.kind != "script")
    for resource in scripts_first:
        if resource.in_head and resource.blocking:
            weight.blocking.append(resource)
        if not resource.url:
            if resource.kind == "script":
                weight.inline += 1
                weight.inline_head += resource.in_head
            continue
        url = urlsplit(urljoin(base + path, resource.url))
        if url.netloc == origin:
            answer = client.get(url.path + (f"?{url.query}" if url.query else ""))
            size, status = len(answer.body), answer.status
            weight.own.append(Own(resource.kind, url.path, size, status))
        else:
            weight.external.append(url.geturl())
    client.close()
    return weight
