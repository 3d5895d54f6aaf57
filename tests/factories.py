"""Small hand-made models for unit tests."""

from __future__ import annotations

import datetime as dt
import itertools

from briefer.models import ActorMention, Claim, Figure

_ids = itertools.count(1)


def claim(
    *,
    id: str | None = None,
    report_id: str = "r1",
    statement: str = "Opposition forces took control of Daraa.",
    speaker: str = "Syrian Observatory for Human Rights",
    origin: str | None = None,
    outlet: str = "Outlet A",
    modality: str = "reported",
    event_type: str = "territorial_control",
    area: str = "Daraa",
    control: str | None = "opposition",
    figures: list[Figure] | None = None,
    actors: list[ActorMention] | None = None,
    published: dt.date | None = dt.date(2024, 12, 7),
    via: list[str] | None = None,
    disputes: str | None = None,
    quote: str = "a verbatim quote of enough length",
) -> Claim:
    return Claim(
        id=id or f"C{next(_ids)}",
        report_id=report_id,
        statement=statement,
        quote=quote,
        start=0,
        end=len(quote),
        speaker=speaker,
        speaker_type="monitor_ngo",
        origin=origin or speaker,
        via=via or [],
        outlet=outlet,
        modality=modality,
        event_type=event_type,
        locations=[area],
        area=area,
        actors=actors or [],
        control=control if event_type == "territorial_control" else None,
        figures=figures or [],
        event_date=None,
        published=published,
        disputes=disputes,
    )


def figure(value: float, counted: str = "people displaced", unit: str = "people", as_of: str | None = None, qualifier: str | None = "at least") -> Figure:
    return Figure(value=value, value_text=f"{value:,.0f}", unit=unit, counted=counted, qualifier=qualifier, as_of=as_of)
