"""Near-duplicate reports: the same wire copy carried by several outlets.

A copy is not an independent origin: its own-voice claims are credited to
the report it copies. Word 5-gram shingles and Jaccard similarity. Candidates
come from a sample of each report's shingles (those starting with one word
in eight, the same words for every report), and only candidates whose sampled
similarity comes near the threshold are measured exactly.
"""

from __future__ import annotations

from collections import defaultdict

from .models import Report

SHINGLE_WORDS = 5
NEAR_DUPLICATE = 0.6
SAMPLE_EVERY = 8
_CANDIDATE = 0.4  # sampled similarity that earns an exact measurement


def new_vocabulary() -> defaultdict[str, int]:
    """Word -> number, numbering each new word as it is first looked up."""
    vocabulary: defaultdict[str, int] = defaultdict()
    vocabulary.default_factory = vocabulary.__len__
    return vocabulary


def word_ids(text: str, vocabulary: defaultdict[str, int]) -> list[int]:
    # Whitespace-separated, lower-cased words: punctuation stays attached, which
    # copies of one text share anyway; splitting in C keeps this cheap.
    return list(map(vocabulary.__getitem__, text.lower().split()))


def shingles(ids: list[int]) -> frozenset[tuple[int, ...]]:
    """Word 5-grams, as tuples of word numbers."""
    if len(ids) < SHINGLE_WORDS:
        return frozenset({tuple(ids)}) if ids else frozenset()
    return frozenset(zip(*(ids[k:] for k in range(SHINGLE_WORDS))))


def _sample(ids: list[int]) -> frozenset[tuple[int, ...]]:
    """The 5-grams that start with a word whose number is a multiple of 8: the
    same words are picked in every report, so samples of copies overlap."""
    picked = frozenset(tuple(ids[i : i + SHINGLE_WORDS]) for i in range(len(ids) - SHINGLE_WORDS + 1) if ids[i] % SAMPLE_EVERY == 0)
    return picked or shingles(ids)  # a very short text keeps all it has


def near_duplicates(reports: list[Report], threshold: float = NEAR_DUPLICATE) -> dict[str, tuple[str, float]]:
    """{copy id: (original id, similarity)}; the original is the earlier report
    (by date, then id), so the mapping does not depend on input order."""
    ordered = sorted(reports, key=lambda r: (r.published is None, r.published or 0, r.id))
    vocabulary = new_vocabulary()
    ids = [word_ids(r.text, vocabulary) for r in ordered]
    samples = [_sample(i) for i in ids]
    full: dict[int, frozenset[tuple[int, ...]]] = {}

    def exact(k: int) -> frozenset[tuple[int, ...]]:
        if k not in full:
            full[k] = shingles(ids[k])
        return full[k]

    index: dict[tuple[int, ...], list[int]] = defaultdict(list)
    copies: dict[str, tuple[str, float]] = {}
    for i, own in enumerate(samples):
        shared: dict[int, int] = defaultdict(int)
        for shingle in own:
            for j in index[shingle]:
                shared[j] += 1
        best = None
        for j in sorted(shared):
            if shared[j] / (len(own) + len(samples[j]) - shared[j]) < min(_CANDIDATE, threshold):
                continue
            score = len(exact(i) & exact(j)) / len(exact(i) | exact(j))
            if score >= threshold and (best is None or score > best[1]):
                best = (j, score)
        if best is not None:
            original = ordered[best[0]].id
            copies[ordered[i].id] = (copies.get(original, (original, 1.0))[0], round(best[1], 3))
        for shingle in own:
            index[shingle].append(i)
    return copies
