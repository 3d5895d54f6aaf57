"""Key takeaways, derived from the labelled matters: cited, and never uncited.

Deterministic: disputes on the day first, then what later reporting overtook,
then the best-corroborated developments; within each, the model's rank.
"""

from __future__ import annotations

from .models import Claim, Matter, Origin, Takeaway

MAX_TAKEAWAYS = 6


def _origins_phrase(n: int) -> str:
    return f"{n} independent origin{'' if n == 1 else 's'}"


def takeaways(matters: list[Matter], claims: dict[str, Claim], origins: dict[str, Origin]) -> list[Takeaway]:
    found: list[tuple[int, Takeaway]] = []
    for matter in matters:
        if matter.status == "contested" and matter.new_today:
            sides = []
            for position in matter.positions:
                holders = [m for m in matter.live if m.position == position.id]
                if holders:
                    names = list(dict.fromkeys(origins[m.origin].name for m in holders if m.origin in origins))
                    verb = "deny" if all(m.stance == "denies" for m in holders) else "say"
                    sides.append((f"{' and '.join(names[:2])}{' and others' if len(names) > 2 else ''} {verb}: {position.text.rstrip('.')}", holders[0].claim_id))
            text = f"Disputed ({matter.conflict}): {matter.question.rstrip('?')}? " + "; ".join(s for s, _ in sides[:3]) + "."
            found.append((0, Takeaway(text=text, refs=[matter.id, *[c for _, c in sides[:3]]])))
    for matter in matters:
        overtaken = [m for m in matter.members if m.overtaken_by]
        if overtaken:
            old, new = claims[overtaken[0].claim_id], claims[overtaken[0].overtaken_by]
            found.append((1, Takeaway(text=f"Overtaken: {old.statement.rstrip('.')}; later: {new.statement.rstrip('.')}.", refs=[matter.id, old.id, new.id])))
    for matter in matters:
        if matter.status == "corroborated" and matter.new_today:
            lead = claims[matter.live[0].claim_id]
            strength = "corroborated by origins of different camps" if matter.strong else "corroborated"
            found.append((2, Takeaway(text=f"{lead.statement.rstrip('.')} — {strength}, {_origins_phrase(matter.independent_origins)}.", refs=[matter.id, lead.id])))
    contested = [t for k, t in found if k == 0]
    overtaken = [t for k, t in found if k == 1]
    corroborated = [t for k, t in found if k == 2]
    chosen = contested[:3] + overtaken[:1] + corroborated
    return chosen[:MAX_TAKEAWAYS]
