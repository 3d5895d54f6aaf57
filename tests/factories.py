"""Small hand-made models for unit tests."""

from __future__ import annotations

import datetime as dt
import itertools

from briefer.figures import figure_rows
from briefer.label import label_all
from briefer.models import Claim, Day, Figure, Matter, Member, Origin, Position, SourceRow, Usage
from briefer.reconcile import _renumber, fallback
from briefer.takeaways import takeaways

DAY = dt.date(2024, 12, 7)
_ids = itertools.count(1)


def claim(
    *,
    id: str | None = None,
    report_id: str = "r1",
    statement: str = "The river flooded the lower town.",
    speaker: str = "Regional water authority",
    organisation: str | None = None,
    camp: str | None = None,
    outlet: str = "Outlet A",
    modality: str = "reported",
    matter: str = "Did the river flood the lower town?",
    position: str = "yes",
    figures: list[Figure] | None = None,
    published: dt.date | None = DAY,
    via: list[str] | None = None,
    quote: str = "a verbatim quote of enough length",
) -> Claim:
    return Claim(
        id=id or f"C{next(_ids)}", report_id=report_id, statement=statement, quote=quote, start=0, end=len(quote), sentences="S1",
        speaker=speaker, organisation=organisation, camp=camp, via=via or [], outlet=outlet, modality=modality,
        matter=matter, position=position, figures=figures or [], event_date=None, published=published,
    )


def figure(value: float, counted: str = "people displaced", unit: str = "people", as_of: str | None = None, qualifier: str | None = "at least") -> Figure:
    return Figure(value=value, unit=unit, counted=counted, qualifier=qualifier, as_of=as_of)


def origin(id: str, name: str, camp: str | None = None, speakers: list[str] | None = None) -> Origin:
    return Origin(id=id, name=name, camp=camp, speakers=speakers or [name], why="test")


def matter(id: str, members: list[tuple], positions: list[str] | None = None, question: str = "Did the river flood the lower town?", frames: dict | None = None) -> Matter:
    """members: (claim id, origin id, position id[, stance[, overtaken_by]])."""
    positions = positions or sorted({m[2] for m in members})
    return Matter(
        id=id, title=question[:30], question=question, rank=int(id[1:]) if id[1:].isdigit() else 1, why="test",
        positions=[Position(id=p, text=f"answer {p}", frames=(frames or {}).get(p)) for p in positions],
        members=[Member(claim_id=m[0], origin=m[1], position=m[2], stance=m[3] if len(m) > 3 else "supports", overtaken_by=m[4] if len(m) > 4 else None) for m in members],
    )


def make_day(claims: list[Claim], matters: list[Matter] | None = None, origins: list[Origin] | None = None) -> Day:
    """A Day through the real label, figure and takeaway stages. Without
    matters, claims are grouped by the deterministic fallback."""
    if matters is None:
        matters, origins = fallback(claims, "")
        matters, origins = _renumber(matters, origins, claims)
    by_id = {c.id: c for c in claims}
    sources = [
        SourceRow(report_id=rid, role="primary", outlet="unknown", published=DAY, date_source="text", date_basis="stated",
                  dateline=None, wire_credits=[], summary="S.", path=f"{rid}.txt", claims=1, rejected=0)
        for rid in sorted({c.report_id for c in claims})
    ]
    labelled, _ = label_all(matters, by_id, origins, {s.report_id for s in sources})
    origin_of = {o.id: o for o in origins}
    return Day(
        date=DAY, window_start=DAY - dt.timedelta(days=7), generated_at="2024-12-07 12:00 UTC", model="test-model", mode="test",
        sources=sources, claims=claims, rejected=[], origins=origins, matters=labelled,
        figures=figure_rows(labelled, by_id, origin_of), framing=[], takeaways=takeaways(labelled, by_id, origin_of),
        notes=[], usage=Usage(requests=2),
    )
