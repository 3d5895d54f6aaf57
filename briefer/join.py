"""Join: the blocks' matters, positions and origins that are one, merged.

A day too large for one reconcile request is reconciled in blocks; the model
then says, window by window, which block matters, positions and origins are
the same (briefer/reconcile.py asks). This module holds what code does with
those answers: check them, merge the groups (union-find, so groups found in
overlapping windows chain together), and the signatures that keep like items
near each other in blocks and windows.
"""

from __future__ import annotations

import re

from .models import BlockJoinDraft, Matter, Origin, Position

WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits, in any script
_STOPWORDS = frozenset(
    "a an and are as at be by did do does for from has have how in into is it its of on or the their this to was were what when where which who whom whose why will with".split()
)


def matter_signature(question: str) -> str:
    """Content words of a matter question, sorted: similar questions sort together."""
    return " ".join(sorted({w for w in WORD.findall(question.casefold()) if w not in _STOPWORDS}))


def name_signature(name: str) -> str:
    """Content words of a speaker's name, sorted: spellings of one body sort together."""
    return " ".join(sorted(w for w in WORD.findall(name.casefold()) if w not in _STOPWORDS))


def join_problems(draft: BlockJoinDraft, matter_ids: set[str], position_ids: set[str], origin_ids: set[str]) -> list[str]:
    """What is wrong with a join answer: ids not in its window, or an id in two groups."""
    problems: list[str] = []
    for kind, groups, known in (("matter", draft.matters, matter_ids), ("position", draft.positions, position_ids), ("origin", draft.origins, origin_ids)):
        seen: set[str] = set()
        for group in groups:
            for part in group.parts:
                if part not in known:
                    problems.append(f"{kind} {part!r} is not one of the {kind}s given")
                elif part in seen:
                    problems.append(f"{kind} {part} is in more than one group")
                seen.add(part)
    return problems


def windows(items: list, size: int, overlap: int) -> list[list]:
    """Windows of ``size`` items, each sharing ``overlap`` items with the next."""
    if len(items) <= size:
        return [items] if items else []
    step = max(1, size - overlap)
    return [items[i : i + size] for i in range(0, len(items) - overlap, step)]


class Unions:
    """Union-find over 'm:', 'p:' and 'o:' ids; the smallest id of a group is its root, and each join keeps its reason."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.why: dict[str, list[str]] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, a: str, b: str, why: str) -> None:
        ra, rb = sorted((self.find(a), self.find(b)))
        if ra != rb:
            self.parent[rb] = ra
            self.why.setdefault(ra, []).extend([why, *self.why.pop(rb, [])])


def apply_joins(matters: list[Matter], origins: list[Origin], unions: Unions) -> tuple[list[Matter], list[Origin]]:
    """One matter, position and origin per group: members re-pointed, speakers and reasons kept."""
    origin_root = {o.id: unions.find(f"o:{o.id}")[2:] for o in origins}
    merged_origins: dict[str, Origin] = {}
    for origin in origins:
        root = origin_root[origin.id]
        if root not in merged_origins:
            merged_origins[root] = origin.model_copy(update={"id": root, "speakers": list(origin.speakers)})
        else:
            kept = merged_origins[root]
            kept.speakers = list(dict.fromkeys([*kept.speakers, *origin.speakers]))
            kept.camp = kept.camp or origin.camp
            kept.why = f"{kept.why}; joined across blocks: {'; '.join(unions.why.get('o:' + root, []))}"
    merged: dict[str, Matter] = {}
    for matter in matters:
        root = unions.find(f"m:{matter.id}")[2:]
        # Positions are named "<matter>.<position>" across blocks; joined ones share a root.
        positions = {f"{matter.id}.{p.id}": p for p in matter.positions}
        members = [m.model_copy(update={"origin": origin_root[m.origin], "position": unions.find(f"p:{matter.id}.{m.position}")[2:]}) for m in matter.members]
        renamed = [Position(id=unions.find(f"p:{pid}")[2:], text=p.text, frames=(unions.find(f"p:{matter.id}.{p.frames}")[2:] if p.frames else None)) for pid, p in positions.items()]
        if root not in merged:
            merged[root] = matter.model_copy(update={"id": root, "positions": [], "members": []})
            if root != matter.id or unions.why.get("m:" + root):
                merged[root].why = f"{matter.why}; joined across blocks: {'; '.join(unions.why.get('m:' + root, []))}"
        target = merged[root]
        known = {p.id for p in target.positions}
        target.positions.extend(p for p in renamed if p.id not in known and not known.add(p.id))
        target.members.extend(members)
        target.rank = min(target.rank, matter.rank)
    return list(merged.values()), list(merged_origins.values())
