"""Key takeaways, derived from the merged groups: cited, and never uncited.

Deterministic: the most-sourced disputes first, then the best-corroborated
developments, then what later reporting overturned.
"""

from __future__ import annotations

from .models import Claim, Group, Takeaway

MAX_TAKEAWAYS = 6


def _origins_phrase(group: Group) -> str:
    n = group.independent_origins
    return f"{n} independent origin{'' if n == 1 else 's'}"


def takeaways(groups: list[Group], claims: dict[str, Claim], primary_reports: set[str]) -> list[Takeaway]:
    def on_the_day(group: Group) -> bool:
        return any(claims[cid].report_id in primary_reports for cid in group.claim_ids)

    conflict_order = {"contradiction": 0, "denial": 1, "numeric-discrepancy": 2, "framing": 3}

    def rank(group: Group) -> tuple:
        # Specific places before the country as a whole; hard disputes before framing.
        return (group.area == "Syria (national)", conflict_order.get(group.conflict or "", 4), -group.independent_origins, -len(group.claim_ids), group.id)

    found: list[Takeaway] = []
    for group in sorted((g for g in groups if g.status == "contested" and on_the_day(g)), key=rank):
        sides: dict[str, Claim] = {}
        for cid in group.claim_ids:
            sides.setdefault(claims[cid].origin, claims[cid])
        shown = list(sides.values())[:2]
        text = f"{group.matter} is disputed ({group.conflict}): " + " / ".join(
            f"{c.origin}: {c.statement.rstrip('.')}" for c in shown
        ) + "."
        found.append(Takeaway(text=text, refs=[group.id, *(c.id for c in shown)]))
    led: set[str] = set()
    for group in sorted((g for g in groups if g.status == "corroborated" and on_the_day(g)), key=rank):
        lead = claims[group.lead_id]
        if lead.id in led:
            continue  # one claim naming two places leads two groups: say it once
        led.add(lead.id)
        strength = "strongly corroborated (opposing parties agree)" if group.strong else "corroborated"
        found.append(Takeaway(text=f"{lead.statement.rstrip('.')} — {strength} by {_origins_phrase(group)}.", refs=[group.id, *[m.claim_id for m in group.members if m.relation == "corroborates"][:3]]))
    for group in sorted((g for g in groups if g.status == "superseded"), key=rank):
        old = next(claims[m.claim_id] for m in group.members if m.relation == "superseded")
        new = next(claims[m.claim_id] for m in group.members if m.relation == "supersedes")
        found.append(
            Takeaway(text=f"Earlier reporting overtaken: {old.statement.rstrip('.')}; later: {new.statement.rstrip('.')}.", refs=[group.id, old.id, new.id])
        )
    # Disputes and overturned reporting matter most; keep at least one of each kind found.
    contested = [t for t in found if "is disputed" in t.text]
    superseded = [t for t in found if t.text.startswith("Earlier reporting overtaken")]
    corroborated = [t for t in found if "is disputed" not in t.text and not t.text.startswith("Earlier reporting overtaken")]
    chosen = contested[:3] + superseded[:1] + corroborated
    return chosen[:MAX_TAKEAWAYS]
