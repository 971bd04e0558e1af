"""The sandbox's endpoint reference, generated from its route table and the SDK.

`python -m moonly.stripe_sandbox.reference` prints it; `--write` puts it into the
sandbox's README.md between its markers (a test keeps that copy exact).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Set
from pathlib import Path

import stripe

from .api import ROUTES
from .params import fields_of

README = Path(__file__).with_name("README.md")
BEGIN = "<!-- BEGIN reference: python -m moonly.stripe_sandbox.reference --write -->"
END = "<!-- END reference -->"
_SDK_REQUEST = re.compile(
    r'_request(?:_async)?\(\s*"(get|post|delete)",\s*"(/v1/[^"]+)"', re.S
)


def _codes(names: Set[str]) -> str:
    return ", ".join(f"`{n}`" for n in sorted(names)) or "none"


def endpoints() -> str:
    """Each endpoint, the parameters it implements, and those it refuses."""
    lines = [
        "| Endpoint | Parameters implemented | Refused with "
        "`sandbox_unsupported_parameter` |",
        "| --- | --- | --- |",
    ]
    for route in ROUTES:
        declared = set(fields_of(route.params))
        implemented = (route.implemented | {"expand"}) & declared
        lines.append(
            f"| `{route.method.upper()} {route.path}` | {_codes(implemented)} "
            f"| {_codes(declared - implemented)} |"
        )
    return "\n".join(lines)


def _sdk_endpoints() -> set[tuple[str, str]]:
    """Every v1 endpoint the SDK's services call, with ids written `:id`."""
    found = set()
    for source in Path(stripe.__file__).parent.glob("_*_service.py"):
        for method, path in _SDK_REQUEST.findall(source.read_text()):
            found.add((method, re.sub(r"\{[^}]+\}", ":id", path)))
    return found


def not_implemented() -> str:
    """Stripe's endpoints under the resources the sandbox serves that it does not."""
    served = {(r.method, r.path) for r in ROUTES}
    resources = {r.path.split("/")[2] for r in ROUTES} - {"test_helpers"}
    missing = sorted(
        (path, method)
        for method, path in _sdk_endpoints() - served
        if path.split("/")[2] in resources
    )
    return "\n".join(f"- `{method.upper()} {path}`" for path, method in missing)


def generated() -> str:
    return (
        f"{BEGIN}\n\n### Endpoints\n\n{endpoints()}\n\n"
        "### Not implemented under these resources (answered with a 404)\n\n"
        f"{not_implemented()}\n\n{END}"
    )


def readme_block(text: str) -> str:
    """The generated part of a README's text."""
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        text = README.read_text()
        README.write_text(text.replace(readme_block(text), generated()))
    else:
        print(generated())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
