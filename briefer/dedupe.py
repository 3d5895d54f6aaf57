"""Near-duplicate reports: the same wire copy carried by several outlets.

A copy is not an independent origin: its own-voice claims are credited to
the report it copies. Word 5-gram shingles, Jaccard similarity, and an
inverted index so only reports that share shingles are ever compared.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .models import Report

SHINGLE_WORDS = 5
NEAR_DUPLICATE = 0.6
_WORD = re.compile(r"\w+")


def shingles(text: str) -> frozenset[int]:
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return frozenset({hash(" ".join(words))}) if words else frozenset()
    return frozenset(hash(" ".join(words[i : i + SHINGLE_WORDS])) for i in range(len(words) - SHINGLE_WORDS + 1))


def near_duplicates(reports: list[Report], threshold: float = NEAR_DUPLICATE) -> dict[str, tuple[str, float]]:
    """{copy id: (original id, similarity)}; the original is the earlier report
    (by date, then id), so the mapping does not depend on input order."""
    ordered = sorted(reports, key=lambda r: (r.published is None, r.published or 0, r.id))
    sets = [shingles(r.text) for r in ordered]
    index: dict[int, list[int]] = defaultdict(list)
    copies: dict[str, tuple[str, float]] = {}
    for i, own in enumerate(sets):
        shared: dict[int, int] = defaultdict(int)
        for shingle in own:
            for j in index[shingle]:
                shared[j] += 1
        best = None
        for j, overlap in shared.items():
            score = overlap / len(own | sets[j])
            if score >= threshold and (best is None or score > best[1] or (score == best[1] and j < best[0])):
                best = (j, score)
        if best is not None:
            original = ordered[best[0]].id
            copies[ordered[i].id] = (copies.get(original, (original, 1.0))[0], round(best[1], 3))
        for shingle in own:
            index[shingle].append(i)
    return copies
