"""Checks that print as they pass or fail; reports rendered from scripts/templates/."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from traffic import ms


@dataclass
class Checks:
    """Each check prints `ok: …` or records and prints a problem."""

    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        self.problems.append(text)
        print(f"  PROBLEM: {text}", flush=True)

    def check(self, condition: bool, ok: str, bad: str) -> None:
        if condition:
            print(f"  ok: {ok}", flush=True)
        else:
            self.problem(bad)


TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,  # noqa: S701 - Markdown and plain text, never HTML
)
TEMPLATES.filters["fmt"] = format  # {{ x|fmt(".1f") }}
TEMPLATES.filters["fmt_all"] = lambda values, spec: ", ".join(
    format(v, spec) for v in values
)
TEMPLATES.filters["ms"] = ms


def render(template: str, **context: object) -> str:
    """A report from scripts/templates/."""
    return TEMPLATES.get_template(template).render(**context)
