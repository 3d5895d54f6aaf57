"""Sentences of a report, numbered S1..Sn, and references to them.

The model cites evidence by sentence number ("S4", "S4-S5") instead of
copying quotes, so a claim's evidence is verbatim by construction and the
answer is shorter. Segmentation is sentencex's (maintained, rule-based, no
downloads); the offsets are found here, so every sentence maps back to the
exact characters of the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .ground import NormalisedText, QuoteNotFound, Span, locate

_REF = re.compile(r"^\s*S(\d+)\s*(?:[-–—]\s*S?(\d+))?\s*$", re.IGNORECASE)
MAX_SENTENCE_CHARS = 1_200  # a "sentence" longer than this (a list, a table) is cut at line breaks


@dataclass(frozen=True)
class Sentence:
    number: int  # 1-based
    start: int
    end: int


class BadReference(ValueError):
    """A sentence reference that does not name sentences of the report."""


@dataclass(frozen=True)
class Sentences:
    text: str
    items: tuple[Sentence, ...]

    @classmethod
    def of(cls, text: str) -> Sentences:
        return _sentences_of(text)

    def __len__(self) -> int:
        return len(self.items)

    def numbered(self, first: int = 1, last: int | None = None) -> str:
        """The sentences as the prompt shows them: one per line, '[S4] text'."""
        last = len(self.items) if last is None else last
        return "\n".join(
            f"[S{s.number}] {' '.join(self.text[s.start:s.end].split())}" for s in self.items[first - 1 : last]
        )

    def resolve(self, ref: str, sub: str | None, normalised: NormalisedText | None = None) -> Span:
        """The report span a reference (and optional exact sub-span) stands for."""
        match = _REF.match(ref or "")
        if not match:
            raise BadReference(f"evidence {ref!r} is not a sentence reference like 'S4' or 'S4-S5'")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if not (1 <= first <= last <= len(self.items)):
            raise BadReference(f"evidence {ref!r} names sentences outside S1-S{len(self.items)}")
        span = Span(self.items[first - 1].start, self.items[last - 1].end)
        if not sub:
            return span
        inner = locate(sub, NormalisedText.of(self.text[span.start:span.end]))
        return Span(span.start + inner.start, span.start + inner.end)


@lru_cache(maxsize=512)
def _sentences_of(text: str) -> Sentences:
    # One report is segmented for its request and again for its brief; the
    # result depends on the text alone, so a run segments each text once.
    return Sentences(text, tuple(_segment(text)))


def _segment(text: str) -> list[Sentence]:
    import sentencex

    found: list[Sentence] = []
    cursor = 0
    for piece in sentencex.segment("en", text):
        stripped = piece.strip()
        if not stripped:
            continue
        at = text.find(stripped, cursor)
        if at < 0:  # the segmenter changed the text: fall back to the piece's own extent
            continue
        for start, end in _cut_long(text, at, at + len(stripped)):
            found.append(Sentence(len(found) + 1, start, end))
        cursor = at + len(stripped)
    return found


def _cut_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    if end - start <= MAX_SENTENCE_CHARS:
        return [(start, end)]
    pieces = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        if line.group().strip():
            lo = start + line.start() + (len(line.group()) - len(line.group().lstrip()))
            pieces.append((lo, start + line.start() + len(line.group().rstrip())))
    return pieces or [(start, end)]


__all__ = ["BadReference", "QuoteNotFound", "Sentence", "Sentences"]
