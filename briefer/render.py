"""Render: Day -> Markdown sitrep (templates/) and its JSON twin.

Templates run in a sandbox with StrictUndefined. Every string that came from
a report or from the model passes through the target format's escape filter,
so report text cannot inject markup into the sitrep or the wiki.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .assets import asset_dir
from .escape import escape_html, escape_markdown, escape_wikitext
from .models import Claim, Day, Matter, Origin


@dataclass(frozen=True)
class Side:
    """One position of a matter, with one claim per origin that holds it."""

    position: str
    stance: str  # "says" or "denies"
    voices: list[tuple[Origin, Claim]]


def sides(matter: Matter, claims: dict[str, Claim], origins: dict[str, Origin]) -> list[Side]:
    found = []
    for position in matter.positions:
        for stance in ("supports", "denies"):
            voices: dict[str, Claim] = {}
            for member in matter.live:
                if member.position == position.id and member.stance == stance:
                    voices.setdefault(member.origin, claims[member.claim_id])  # one quote per origin
            if voices:
                found.append(Side(position.text, "says" if stance == "supports" else "denies",
                                  [(origins[o], c) for o, c in voices.items() if o in origins]))
    return found


def view(day: Day) -> dict:
    """Everything the templates need, derived from the Day (pure)."""
    claims = {c.id: c for c in day.claims}
    origins = {o.id: o for o in day.origins}
    matter_of = {m.claim_id: matter.id for matter in day.matters for m in matter.members}
    origin_of = {m.claim_id: m.origin for matter in day.matters for m in matter.members}
    overtaken = [(matter, claims[m.claim_id], claims[m.overtaken_by]) for matter in day.matters for m in matter.members if m.overtaken_by and m.overtaken_by in claims]
    outlets = {s.outlet for s in day.sources if s.outlet != "unknown"}
    return {
        "day": day,
        "claims": claims,
        "origins": origins,
        "matter_of": matter_of,
        "origin_of": origin_of,
        "contested": [m for m in day.matters if m.status == "contested" and m.new_today],
        "today": [m for m in day.matters if m.new_today],
        "background": [m for m in day.matters if not m.new_today],
        "overtaken": overtaken,
        "outlet_count": len(outlets),
        "unknown_outlets": sum(1 for s in day.sources if s.outlet == "unknown"),
        "sides": lambda m: sides(m, claims, origins),
        "lead": lambda m: claims[(m.live or m.members)[0].claim_id],
        "label": lambda m: m.status + (f" ({m.conflict})" if m.conflict else "") + (", across camps" if m.strong else ""),
    }


@lru_cache(maxsize=4)
def _environment(folder: str):
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(loader=FileSystemLoader(folder), undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)
    env.filters["md"] = lambda value: escape_markdown(str(value))
    env.filters["wiki"] = lambda value: escape_wikitext(str(value))
    env.filters["html"] = lambda value: escape_html(str(value))
    env.filters["refs"] = lambda ids: "[" + ", ".join(ids) + "]"
    return env


class TemplateProblem(ValueError):
    """A user-edited template that cannot be used; the message names it."""


TEMPLATE_NAMES = ("daily.md.j2", "daily.wiki.j2")


def _template(folder: Path, name: str):
    from jinja2 import TemplateError, TemplateSyntaxError

    try:
        return _environment(str(folder)).get_template(name)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"{folder / name}, line {exc.lineno}: template syntax error: {exc.message}") from exc
    except TemplateError as exc:
        raise TemplateProblem(f"{folder / name}: {exc}") from exc


def check_templates(templates: Path | None = None) -> None:
    """Parse every output template: a broken one fails before any model call."""
    folder = Path(templates) if templates else asset_dir("templates")
    for name in TEMPLATE_NAMES:
        _template(folder, name)


def render_template(day: Day, name: str, templates: Path | None = None) -> str:
    from jinja2 import TemplateError

    folder = Path(templates) if templates else asset_dir("templates")
    try:
        text = _template(folder, name).render(**view(day))
    except TemplateError as exc:
        raise TemplateProblem(f"{folder / name}: {exc}") from exc
    return text.rstrip() + "\n"


def render_markdown(day: Day, templates: Path | None = None) -> str:
    return render_template(day, "daily.md.j2", templates)


def render_wikitext(day: Day, templates: Path | None = None) -> str:
    return render_template(day, "daily.wiki.j2", templates)


def render_json(day: Day) -> str:
    return day.model_dump_json(indent=2) + "\n"
