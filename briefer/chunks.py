"""Split a long report into overlapping chunks at paragraph or sentence ends."""

from __future__ import annotations

import re

_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"(?<=[.!?”\"])\s+"), re.compile(r"\s+"))


def split_text(text: str, size: int, overlap: int) -> list[tuple[int, str]]:
    """[(offset, chunk)]: chunks of at most ``size`` characters covering ``text``,
    each starting about ``overlap`` characters before the previous one ended."""
    if size <= overlap:
        raise ValueError("chunk size must exceed the overlap")
    if len(text) <= size:
        return [(0, text)]
    chunks: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            end = _last_break(text, start + size // 2, end)
        chunks.append((start, text[start:end]))
        if end >= len(text):
            break
        start = max(_next_start(text, end - overlap, end), start + 1)
    return chunks


def _last_break(text: str, lo: int, hi: int) -> int:
    """The end of the last paragraph (else line, sentence, word) in text[lo:hi]."""
    window = text[lo:hi]
    for pattern in _BREAKS:
        found = [m.end() for m in pattern.finditer(window)]
        if found:
            return lo + found[-1]
    return hi


def _next_start(text: str, lo: int, hi: int) -> int:
    """A sentence or word start at or after lo, before hi, for the next chunk."""
    window = text[lo:hi]
    for pattern in _BREAKS[2:]:
        match = pattern.search(window)
        if match:
            return lo + match.end()
    return lo
