"""Where a redirect taken from the request may go: a local path, nothing else."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_TARGET = 2048


def _has_unsafe_character(target: str) -> bool:
    # Control characters split headers (CR/LF) or are dropped by browsers (TAB, so
    # "/\t/evil.example" becomes "//evil.example"); format characters hide text.
    return any(
        unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in target
    )


def safe_local_path(target: str | None) -> str | None:
    """Return `target` if it is a path on this site, else None (ignore it).

    Never another host, scheme or protocol-relative URL, never a backslash (browsers
    read it as a slash), never a control or invisible character.
    """
    if not target or len(target) > MAX_TARGET:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if _has_unsafe_character(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
