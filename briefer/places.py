"""Place and origin normalisation, driven by the tables in briefer/data/."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .assets import asset_dir

_ARTICLE = re.compile(r"^(?:the|al|el|as|ad|ar|an)[\s-]+")


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation that spellings disagree on."""
    if not text.isascii():  # ASCII has no accents to strip
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"['`]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return _ARTICLE.sub("", text)


@dataclass(frozen=True)
class Gazetteer:
    alias_to_area: dict[str, str]

    def area_of(self, place: str) -> str:
        key = fold(place)
        if key in self.alias_to_area:
            return self.alias_to_area[key]
        # "Daraa province" style suffixes and sub-places named inside a phrase
        for suffix in (" province", " governorate", " countryside", " city", " region"):
            if key.endswith(suffix) and key[: -len(suffix)] in self.alias_to_area:
                return self.alias_to_area[key[: -len(suffix)]]
        return place.strip()

    def known(self, area: str) -> bool:
        return fold(area) in self.alias_to_area

    def normalise(self, places: list[str]) -> list[str]:
        """Normalised area names, in first-mention order, without repeats."""
        seen: dict[str, None] = {}
        for place in places:
            if place.strip():
                seen.setdefault(self.area_of(place), None)
        return list(seen)


@dataclass(frozen=True)
class OriginTable:
    patterns: list[tuple[str, re.Pattern[str], str]]  # (origin, pattern, alignment), longest first
    loaded_terms: dict[str, str]  # folded term -> leaning
    actor_patterns: list[tuple[str, re.Pattern[str]]]  # longest first
    alignments: dict[str, str]  # origin -> alignment

    def actor_of(self, name: str) -> str:
        lowered = name.lower()
        for actor, pattern in self.actor_patterns:
            if pattern.search(lowered):
                return actor
        return name.strip()

    def origin_of(self, speaker: str) -> str:
        lowered = speaker.lower()
        for origin, pattern, _ in self.patterns:
            if pattern.search(lowered):
                return origin
        return speaker.strip() or "unknown"

    def alignment_of(self, origin: str) -> str:
        return self.alignments.get(origin, "neutral")

    def leaning_of(self, term: str) -> str | None:
        """The side a loaded term leans to, if the term contains one."""
        folded = f" {fold(term)} "
        for loaded, leaning in self.loaded_terms.items():
            if f" {loaded} " in folded:
                return leaning
        return None


def _read(name: str) -> dict:
    with (asset_dir("data") / name).open("rb") as fh:
        return tomllib.load(fh)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    table: dict[str, str] = {}
    for area, entry in _read("places.toml")["areas"].items():
        table[fold(area)] = area
        for alias in entry.get("aliases", []):
            table.setdefault(fold(alias), area)
    return Gazetteer(table)


@lru_cache(maxsize=1)
def origin_table() -> OriginTable:
    data = _read("origins.toml")
    rows = [
        (origin, _word_pattern(pattern), entry["alignment"], len(pattern))
        for origin, entry in data["origins"].items()
        for pattern in entry["patterns"]
    ]
    rows.sort(key=lambda row: -row[3])
    actors = [(actor, _word_pattern(p), len(p)) for actor, entry in data["actors"].items() for p in entry["patterns"]]
    actors.sort(key=lambda row: -row[2])
    loaded = {fold(term): leaning for leaning, terms in data["loaded_terms"].items() for term in terms}
    alignments = {origin: entry["alignment"] for origin, entry in data["origins"].items()}
    return OriginTable([(o, p, a) for o, p, a, _ in rows], loaded, [(a, p) for a, p, _ in actors], alignments)


def _word_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")
