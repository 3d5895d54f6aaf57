"""Render: Day -> Markdown sitrep (templates/) and its JSON twin.

Templates run in a sandbox with StrictUndefined. Every string that came from
a report or from the model passes through the target format's escape filter,
so report text cannot inject markup into the sitrep or the wiki.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .assets import asset_dir
from .escape import escape_html, escape_markdown, escape_wikitext
from .merge import EVENT_LABELS
from .models import Claim, Day, Group

AREA_ORDER_LAST = ("Syria (national)", "Unspecified")
THEMATIC = {"diplomacy": "Diplomacy and international", "statement": "Diplomacy and international", "humanitarian": "Humanitarian", "displacement": "Humanitarian"}


@dataclass(frozen=True)
class Position:
    label: str  # who says it, e.g. "Syrian Observatory for Human Rights"
    claims: list[Claim]


def positions(group: Group, claims: dict[str, Claim]) -> list[Position]:
    """The sides of a dispute, each with its claims, in a stable order."""
    members = [claims[cid] for cid in group.claim_ids]
    if group.conflict == "contradiction" or group.status == "superseded":
        key = lambda c: f"says {c.control} forces hold {group.area}" if c.control else "other reporting"  # noqa: E731
    elif group.conflict == "denial":
        key = lambda c: "denies" if c.modality == "denied" else "asserts or reports"  # noqa: E731
    else:
        key = lambda c: c.origin  # noqa: E731
    by_side: dict[str, list[Claim]] = defaultdict(list)
    for claim in members:
        by_side[key(claim)].append(claim)
    return [Position(label, side) for label, side in by_side.items()]


def _section_of(group: Group) -> str:
    return THEMATIC.get(group.event_type, group.area)


def view(day: Day) -> dict:
    """Everything the templates need, derived from the Day (pure)."""
    claims = {c.id: c for c in day.claims}
    primary = {s.report_id for s in day.sources if s.role == "primary"}
    live = [g for g in day.groups if g.status != "superseded"]
    current = [g for g in live if any(claims[cid].report_id in primary for cid in g.claim_ids)]
    background = [g for g in live if g not in current]
    sections: dict[str, list[Group]] = defaultdict(list)
    for group in current:
        sections[_section_of(group)].append(group)
    thematic = sorted(set(THEMATIC.values()))
    areas = sorted((s for s in sections if s not in thematic and s not in AREA_ORDER_LAST))
    order = areas + [s for s in AREA_ORDER_LAST if s in sections] + [s for s in thematic if s in sections]
    outlets = {s.outlet for s in day.sources if s.outlet != "unknown"}
    unknown = sum(1 for s in day.sources if s.outlet == "unknown")
    groups_of: dict[str, list[str]] = defaultdict(list)
    for group in day.groups:
        for cid in group.claim_ids:
            groups_of[cid].append(group.id)
    framing_rows = []  # one row per actor and outlet, its terms side by side
    for row in day.framing:
        by_label: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for label, term, cid in row.terms:
            by_label[label].append((term, cid))
        framing_rows.extend((row.actor, label, terms) for label, terms in by_label.items())
    return {
        "day": day,
        "framing_rows": framing_rows,
        "groups_of": groups_of,
        "members": lambda g: [(claims[m.claim_id], m.relation) for m in g.members],
        "claims": claims,
        "contested": [g for g in current if g.status == "contested"],
        "superseded": [g for g in day.groups if g.status == "superseded"],
        "sections": [(name, sections[name]) for name in order],
        "background": background,
        "origins": sorted({c.origin for c in day.claims}),
        "outlet_count": len(outlets),
        "unknown_outlets": unknown,
        "positions": lambda g: positions(g, claims),
        "event_label": EVENT_LABELS,
        "primary": primary,
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


def render_template(day: Day, name: str, templates: Path | None = None) -> str:
    folder = Path(templates) if templates else asset_dir("templates")
    text = _environment(str(folder)).get_template(name).render(**view(day))
    return text.rstrip() + "\n"


def render_markdown(day: Day, templates: Path | None = None) -> str:
    return render_template(day, "daily.md.j2", templates)


def render_wikitext(day: Day, templates: Path | None = None) -> str:
    return render_template(day, "daily.wiki.j2", templates)


def render_json(day: Day) -> str:
    return day.model_dump_json(indent=2) + "\n"
