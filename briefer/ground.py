"""Grounding: is a quote verbatim in its report, and where?

Matching is exact after normalising whitespace runs and quote-mark variants,
nothing looser: a quote that differs by a word is not evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

_QUOTE_MARKS = str.maketrans(
    {
        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'",
    }
)
MIN_QUOTE_CHARS = 12


@dataclass(frozen=True)
class NormalisedText:
    """Text with whitespace runs collapsed and quote marks unified, plus a map
    from each normalised character back to its offset in the original."""

    text: str
    offsets: tuple[int, ...]

    @classmethod
    def of(cls, original: str) -> NormalisedText:
        chars: list[str] = []
        offsets: list[int] = []
        in_space = False
        for index, ch in enumerate(original.translate(_QUOTE_MARKS)):
            if ch.isspace():
                if in_space:
                    continue
                in_space = True
                ch = " "
            else:
                in_space = False
            chars.append(ch)
            offsets.append(index)
        return cls("".join(chars), tuple(offsets))


def normalise(text: str) -> str:
    return NormalisedText.of(text).text.strip()


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


def contains(term: str, report: NormalisedText) -> bool:
    needle = normalise(term)
    return bool(needle) and needle in report.text
