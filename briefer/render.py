"""Render: Day -> Markdown sitrep (templates/) and its JSON twin.

Templates run in a sandbox with StrictUndefined. Every string that came from
a report or from the model passes through the target format's escape filter,
so report text cannot inject markup into the sitrep or the wiki.
"""

from __future__ import annotations

import re
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


# The brief is short by design: at most about 150 words a report (1,500 for a
# day of ten), never under 900; everything cut is on the ledger page, one
# click away. The first shape whose brief fits the budget is used.
WORDS_PER_REPORT = 150
MIN_WORDS = 900


@dataclass(frozen=True)
class Shape:
    disputes: int  # disputes shown side by side; the rest are listed by question
    developments: int  # developments shown in full; the rest are listed by title
    figures: int
    overtaken: int
    quote_words: int  # a quote is cut to its first words; the whole is in the ledger
    statement_words: int
    sides: int = 2  # positions per dispute: the two held by the most origins (a denial always shows)


SHAPES = (
    Shape(4, 8, 8, 4, 16, 22),
    Shape(3, 6, 6, 3, 14, 18),
    Shape(3, 5, 5, 2, 12, 15),
    Shape(2, 4, 4, 2, 10, 12),
)
DEFAULT_SHAPE = SHAPES[0]
QUOTE_WORDS = DEFAULT_SHAPE.quote_words
_MARKUP = re.compile(r"\]\([^)]*\)|\[\[[^|\]]*\||[|*_\[\]#<>]")


def visible_words(text: str) -> int:
    """Words a reader sees: link targets, table pipes and emphasis marks do not count."""
    return sum(1 for w in _MARKUP.sub(" ", text).split() if any(ch.isalnum() for ch in w))


def word_budget(day: Day) -> int:
    return max(MIN_WORDS, WORDS_PER_REPORT * len(day.sources))


def clip(text: str, words: int = QUOTE_WORDS) -> str:
    """The first words of a verbatim quote (still verbatim), with an ellipsis if cut."""
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


def main_sides(matter: Matter, claims: dict[str, Claim], origins: dict[str, Origin], shown: int = 2) -> list[tuple[Side, int]]:
    """The sides that make a dispute, each with one voice and the count of its other origins.

    The pair shown is the one held by parties rather than by outlets'
    commentary, from distinct camps, then with the most origins; a denial is
    always shown with what it denies."""
    found = sides(matter, claims, origins)
    if len(found) <= shown:
        return [(side, len(side.voices) - 1) for side in found]

    def camps(side: Side) -> set[str]:
        return {o.camp.casefold() for o, _ in side.voices if o.camp}

    def parties(side: Side) -> int:
        # An outlet's own voice is commentary on the dispute, not a party to it.
        return sum(1 for o, c in side.voices if o.name not in (c.outlet, f"report {c.report_id}".capitalize(), f"report {c.report_id}"))

    denial = next((side for side in found if side.stance == "denies"), None)
    if denial is not None:
        denied = next((side for side in found if side.position == denial.position and side.stance == "says"), None)
        pair = [denied, denial] if denied is not None else [max(found, key=lambda x: len(x.voices)), denial]
        chosen = [side for side in found if side in pair]
    else:
        best = max(
            ((a, b) for i, a in enumerate(found) for b in found[i + 1 :]),
            key=lambda ab: (min(parties(ab[0]), parties(ab[1])) > 0, bool(camps(ab[0]) and camps(ab[1]) and not camps(ab[0]) & camps(ab[1])),
                            parties(ab[0]) + parties(ab[1]), len(camps(ab[0]) | camps(ab[1])), len(ab[0].voices) + len(ab[1].voices)),
        )
        chosen = [side for side in found if side in best]
    return [(side, len(side.voices) - 1) for side in chosen[:shown]]


def view(day: Day, ledger: str | None = None, shape: Shape = DEFAULT_SHAPE) -> dict:
    """Everything the templates need, derived from the Day (pure). ``ledger``
    is where the companion page lives (a file name or a wiki page title)."""
    from .synthesize import rank

    claims = {c.id: c for c in day.claims}
    origins = {o.id: o for o in day.origins}
    matter_of = {m.claim_id: matter.id for matter in day.matters for m in matter.members}
    overtaken = [(matter, claims[m.claim_id], claims[m.overtaken_by]) for matter in day.matters for m in matter.members if m.overtaken_by and m.overtaken_by in claims]
    outlets = {s.outlet for s in day.sources if s.outlet != "unknown"}
    ranked = rank(day.matters)
    contested = [m for m in ranked if m.status == "contested" and m.new_today]
    disputes, also_disputed = contested[: shape.disputes], contested[shape.disputes :]
    others = [m for m in ranked if m not in contested]
    dated = [s.published for s in day.sources if s.published]
    position = {m.id: i for i, m in enumerate(ranked)}
    return {
        "day": day,
        "ledger": ledger,
        "claims": claims,
        "origins": origins,
        "matter_of": matter_of,
        "ranked": ranked,
        "contested": disputes,
        "also_disputed": also_disputed,
        "main_sides": lambda m: main_sides(m, claims, origins, shape.sides),
        "figures": sorted(day.figures, key=lambda f: position.get(f.matter_id, 0))[: shape.figures],
        "figures_more": max(0, len(day.figures) - shape.figures),
        "overtaken_shown": overtaken[: shape.overtaken],
        "overtaken_more": max(0, len(overtaken) - shape.overtaken),
        "statement": lambda text: clip(text, shape.statement_words),
        "developments": others[: shape.developments],
        "more": others[shape.developments :],
        "overtaken": overtaken,
        "cutoff": max(dated).isoformat() if dated else "unknown",
        "outlet_count": len(outlets),
        "unknown_outlets": sum(1 for s in day.sources if s.outlet == "unknown"),
        "sides": lambda m: sides(m, claims, origins),
        "lead": lambda m: claims[(m.live or m.members)[0].claim_id],
        "label": lambda m: m.status + (f" ({m.conflict})" if m.conflict else "") + (", across camps" if m.strong else ""),
        "clip": lambda text: clip(text, shape.quote_words),
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
    env.filters["anchor"] = lambda ident: str(ident).lower()
    return env


class TemplateProblem(ValueError):
    """A user-edited template that cannot be used; the message names it."""


TEMPLATE_NAMES = ("daily.md.j2", "daily.wiki.j2", "ledger.md.j2", "ledger.wiki.j2")


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


def render_template(day: Day, name: str, templates: Path | None = None, ledger: str | None = None, shape: Shape = DEFAULT_SHAPE) -> str:
    from jinja2 import TemplateError

    folder = Path(templates) if templates else asset_dir("templates")
    try:
        text = _template(folder, name).render(**view(day, ledger, shape))
    except TemplateError as exc:
        raise TemplateProblem(f"{folder / name}: {exc}") from exc
    return text.rstrip() + "\n"


def brief_shape(day: Day, templates: Path | None = None) -> Shape:
    """The fullest shape whose Markdown brief fits the day's word budget."""
    budget = word_budget(day)
    for shape in SHAPES:
        if visible_words(render_template(day, "daily.md.j2", templates, "ledger", shape)) <= budget:
            return shape
    return SHAPES[-1]


def render_markdown(day: Day, templates: Path | None = None, ledger: str | None = None) -> str:
    """The brief; ids link to ``ledger`` (the companion page's file name) when given."""
    return render_template(day, "daily.md.j2", templates, ledger, brief_shape(day, templates))


def render_ledger(day: Day, templates: Path | None = None) -> str:
    """The companion page: every claim with its quote and offsets, matters, origins, framing."""
    return render_template(day, "ledger.md.j2", templates)


def render_wikitext(day: Day, templates: Path | None = None, ledger: str | None = None) -> str:
    """The brief as wikitext, in the Markdown brief's shape; ids link to the ``ledger`` page title (a subpage)."""
    return render_template(day, "daily.wiki.j2", templates, ledger, brief_shape(day, templates))


def render_ledger_wikitext(day: Day, templates: Path | None = None) -> str:
    return render_template(day, "ledger.wiki.j2", templates)


def ledger_path(out: str) -> str:
    """day.md -> day.ledger.md, beside it."""
    path = Path(out)
    return str(path.with_name(f"{path.stem}.ledger{path.suffix or '.md'}"))


def render_json(day: Day) -> str:
    return day.model_dump_json(indent=2) + "\n"
