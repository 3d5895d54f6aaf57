"""The optional story profile: a user's alias and camp table for one story.

briefer works fully without one: the model resolves speakers to origins and
gives their camps. A profile only overrides, after the cache and on every
run: an origin whose name or any speaker matches an alias (whole words,
case-folded) becomes the profile's origin with its camp, and origins that
land on the same profile name are one origin.

    name = "My story"
    [origins."Ministry of Health"]
    camp = "government"
    aliases = ["health ministry", "ministry of health", "moh"]
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .models import Matter, Origin


class ProfileError(ValueError):
    """A story profile that cannot be read; the message names the file."""


def fold(text: str) -> str:
    """Lower-case, accents and punctuation stripped: how spellings are compared."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"['’‘`]", "", text)
    return " ".join(re.findall(r"[^\W_]+", text))


@dataclass(frozen=True)
class ProfileOrigin:
    name: str
    camp: str | None
    aliases: tuple[str, ...]  # folded


@dataclass(frozen=True)
class StoryProfile:
    name: str
    origins: tuple[ProfileOrigin, ...]

    @classmethod
    def load(cls, path: Path) -> StoryProfile:
        try:
            data = tomllib.loads(Path(path).read_text("utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"{path}: cannot read the story profile ({exc})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(f"{path}: the story profile is not valid TOML ({exc})") from exc
        table = data.get("origins", {})
        if not isinstance(table, dict):
            raise ProfileError(f"{path}: [origins] must be a table of origins")
        origins = []
        for name, entry in table.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("aliases", []), list):
                raise ProfileError(f"{path}: origin {name!r} needs 'aliases' as a list of strings")
            camp = entry.get("camp")
            aliases = tuple(a for a in (fold(str(x)) for x in [name, *entry.get("aliases", [])]) if a)
            origins.append(ProfileOrigin(name=name, camp=str(camp) if camp else None, aliases=aliases))
        return cls(name=str(data.get("name") or Path(path).stem), origins=tuple(origins))

    def match(self, names: list[str]) -> ProfileOrigin | None:
        """The first profile origin with an alias found as whole words in one of ``names``."""
        folded = [f" {fold(n)} " for n in names]
        for origin in self.origins:
            if any(f" {alias} " in name for alias in origin.aliases for name in folded):
                return origin
        return None


def apply_profile(profile: StoryProfile | None, origins: list[Origin], matters: list[Matter]) -> tuple[list[Origin], list[Matter]]:
    """Origins renamed, given camps and merged per the profile; members follow."""
    if profile is None:
        return origins, matters
    merged: dict[str, Origin] = {}
    renamed: dict[str, str] = {}
    for origin in origins:
        hit = profile.match([origin.name, *origin.speakers])
        key = f"profile:{hit.name}" if hit else origin.id
        if key not in merged:
            update = {"name": hit.name, "camp": hit.camp or origin.camp, "why": f"{origin.why}; story profile {profile.name!r}: {hit.name}"} if hit else {}
            merged[key] = origin.model_copy(update=update)
        else:
            kept = merged[key]
            kept.speakers = list(dict.fromkeys([*kept.speakers, *origin.speakers]))
            kept.why = f"{kept.why}; also {origin.name} ({origin.id})"
        renamed[origin.id] = merged[key].id
    matters = [m.model_copy(update={"members": [x.model_copy(update={"origin": renamed.get(x.origin, x.origin)}) for x in m.members]}) for m in matters]
    return list(merged.values()), matters
