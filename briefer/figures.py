"""Figures: the key-figures table, built from matters and checked against quotes.

A figure counts only if its number is written in the claim's own quote; one
that is not is left out and named in the notes. One row per origin and thing
counted within a matter: a series from one origin over time is one row with
its values in date order, and figures of different scope stay apart.
"""

from __future__ import annotations

import re

from .models import Claim, Figure, FigureRow, Matter, Notice, Origin
from .profile import fold

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12,
}
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
_NUMBER = re.compile(r"(\d[\d,.\s]*\d|\d)\s*(thousand|million|billion|k|m|bn)?\b", re.IGNORECASE)


def numbers_in(text: str) -> set[float]:
    """Every number written in the text, in digits or common words, scaled."""
    found: set[float] = set()
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"[,\s]", "", match.group(1))
        if digits.count(".") > 1:
            digits = digits.replace(".", "")  # "1.000.000"
        try:
            value = float(digits)
        except ValueError:
            continue
        found.add(value)
        scale = (match.group(2) or "").lower()
        factor = _SCALES.get(scale) or {"k": 1e3, "m": 1e6, "bn": 1e9}.get(scale)
        if factor:
            found.add(value * factor)
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _WORD_NUMBERS:
            found.add(float(_WORD_NUMBERS[word]))
    return found


def checked_figures(claims: list[Claim]) -> tuple[list[Claim], list[Notice]]:
    """Claims keeping only figures whose number is written in their quote."""
    notes: list[Notice] = []
    kept: list[Claim] = []
    for claim in claims:
        written = numbers_in(claim.quote)
        good: list[Figure] = []
        for figure in claim.figures:
            if any(abs(figure.value - n) <= 1e-9 * max(1.0, abs(n)) for n in written):
                good.append(figure)
            else:
                notes.append(Notice(stage="label", subject=claim.id, severity="info",
                                    message=f"figure {figure.value:g} {figure.unit} ({figure.counted}) left out: the number is not written in the claim's quote"))
        kept.append(claim if len(good) == len(claim.figures) else claim.model_copy(update={"figures": good}))
    return kept, notes


def _value_text(figure: Figure) -> str:
    value = f"{figure.value:,.0f}" if float(figure.value).is_integer() else f"{figure.value:,g}"
    unit = "%" if figure.unit.strip().lower() in ("percent", "per cent", "%") else f" {figure.unit.strip()}"
    return f"{value}{unit}".strip()


def figure_rows(matters: list[Matter], claims: dict[str, Claim], origins: dict[str, Origin]) -> list[FigureRow]:
    rows: list[FigureRow] = []
    for matter in matters:
        series: dict[tuple[str, str, str], list[tuple[Claim, Figure, bool]]] = {}
        for member in matter.members:
            claim = claims[member.claim_id]
            for figure in claim.figures:
                key = (member.origin, fold(figure.counted), fold(figure.unit))
                series.setdefault(key, []).append((claim, figure, member.overtaken_by is not None))
        for (origin_id, _, _), entries in series.items():
            entries.sort(key=lambda e: (e[0].published.isoformat() if e[0].published else "", e[0].id))
            values = list(dict.fromkeys(_value_text(f) + (" (overtaken)" if over else "") for _, f, over in entries))
            first = entries[-1][1]
            rows.append(FigureRow(
                matter_id=matter.id, counted=first.counted, unit=first.unit, values=values,
                qualifier=first.qualifier, origin=origins[origin_id].name if origin_id in origins else origin_id,
                claim_ids=list(dict.fromkeys(c.id for c, _, _ in entries)),
                report_ids=list(dict.fromkeys(c.report_id for c, _, _ in entries)),
                as_of=first.as_of, status=matter.status + (f" ({matter.conflict})" if matter.conflict else ""),
            ))
    return rows
