"""Framing: how each outlet names each actor, in the reports' own words."""

from __future__ import annotations

from .models import FramingRow, ReportBrief
from .profile import fold


def framing_rows(briefs: list[ReportBrief]) -> list[FramingRow]:
    """One row per actor named in more than one way, with each outlet's terms."""
    by_actor: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for brief in briefs:
        label = brief.outlet or f"report {brief.report_id}"
        for term in brief.terms:
            name, terms = by_actor.setdefault(fold(term.actor), (term.actor, []))
            if (label, term.term) not in terms:
                terms.append((label, term.term))
    rows = [FramingRow(actor=name, terms=terms) for name, terms in by_actor.values() if len({fold(t) for _, t in terms}) > 1]
    return sorted(rows, key=lambda r: (-len(r.terms), r.actor.casefold()))
