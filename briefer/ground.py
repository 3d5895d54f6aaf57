"""Grounding: is a quote verbatim in its report, and where?

Matching is exact after normalising whitespace runs and quote-mark variants,
nothing looser: a quote that differs by a word is not evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUOTE_MARKS = str.maketrans(
    {
        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'",
    }
)
MIN_QUOTE_CHARS = 12
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class NormalisedText:
    """Text with whitespace runs collapsed and quote marks unified, plus a map
    from each normalised character back to its offset in the original."""

    text: str
    offsets: list[int]

    @classmethod
    def of(cls, original: str) -> NormalisedText:
        text = original.translate(_QUOTE_MARKS)
        pieces: list[str] = []
        offsets: list[int] = []
        position = 0
        # Whole runs at a time: the text between whitespace runs is copied
        # as it is, each run becomes one space mapped to the run's start.
        for run in _WHITESPACE.finditer(text):
            pieces.append(text[position : run.start()])
            offsets.extend(range(position, run.start()))
            pieces.append(" ")
            offsets.append(run.start())
            position = run.end()
        pieces.append(text[position:])
        offsets.extend(range(position, len(text)))
        return cls("".join(pieces), offsets)


def normalise(text: str) -> str:
    """The normalised form alone, without the offset map."""
    # ASCII text has only the backtick to unify: translate() is slow on long texts.
    unified = text.replace("`", "'") if text.isascii() else text.translate(_QUOTE_MARKS)
    return _WHITESPACE.sub(" ", unified).strip()


@dataclass(frozen=True)
class Span:
    start: int
    end: int


class QuoteNotFound(ValueError):
    """The quote is not verbatim in the report."""


def locate(quote: str, report: NormalisedText) -> Span:
    """Offsets of ``quote`` in the original report text, or QuoteNotFound."""
    needle = normalise(quote)
    if len(needle) < MIN_QUOTE_CHARS:
        raise QuoteNotFound(f"quote is too short to be evidence ({len(needle)} characters)")
    at = report.text.find(needle)
    if at < 0:
        raise QuoteNotFound("quote not found verbatim in the report")
    return Span(report.offsets[at], report.offsets[at + len(needle) - 1] + 1)


class TermFinder:
    """Whether a report uses a term (for short terms, no minimum length):
    verbatim, else after normalising quote marks and spaces. The whole text is
    normalised only for a term not found verbatim, and once: it is the slow
    part, and most terms are verbatim."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._flat: str | None = None

    def __call__(self, term: str) -> bool:
        needle = normalise(term)
        if not needle or needle in self.text:
            return bool(needle)
        if self._flat is None:
            self._flat = normalise(self.text)
        return needle in self._flat
