"""Label: matters + origins -> corroborated / contested / single-source, by rule.

The model proposes matters, stances and origins; the labels are code's,
computed from them, and every label carries the rule that produced it (shown
by `briefer explain`). Rules:

- A claim that later reporting overtakes no longer counts for a position.
- contested: live claims of at least 2 independent origins take different
  positions, or one origin denies a position another supports. Its kind:
  denial (an origin denies what another supports); numeric-discrepancy (every
  live position is a figure); framing (every live position tells one fact in
  other words); otherwise contradiction.
- corroborated: at least 2 independent origins take the same position and no
  other position is live; strong when origins of different camps agree.
- single-source: one origin.
An origin counts once however many outlets, wire copies or spellings carry it.
"""

from __future__ import annotations

import datetime as dt

from .models import Claim, Matter, Notice, Origin


def _date_of(claim: Claim) -> dt.date | None:
    if claim.event_date:
        try:
            return dt.date.fromisoformat(claim.event_date)
        except ValueError:
            pass
    return claim.published


def check_overtaken(matters: list[Matter], claims: dict[str, Claim]) -> tuple[list[Matter], list[Notice]]:
    """Keep an 'overtaken by' link only where the later claim is not dated before the earlier one."""
    notes: list[Notice] = []
    checked = []
    for matter in matters:
        members = []
        for member in matter.members:
            later = member.overtaken_by
            if later is not None:
                a = claims[member.claim_id].published
                b = claims[later].published if later in claims else None
                if later not in claims or later == member.claim_id or (a and b and b < a):
                    notes.append(Notice(stage="label", subject=f"{matter.id} {member.claim_id}", severity="info",
                                        message=f"not shown as overtaken: the overtaking claim {later} is not later reporting"))
                    member = member.model_copy(update={"overtaken_by": None})
            members.append(member)
        checked.append(matter.model_copy(update={"members": members}))
    return checked, notes


def label(matter: Matter, claims: dict[str, Claim], origins: dict[str, Origin], primary_reports: set[str]) -> Matter:
    live = matter.live
    support: dict[str, set[str]] = {}
    deny: dict[str, set[str]] = {}
    for member in live:
        (support if member.stance == "supports" else deny).setdefault(member.position, set()).add(member.origin)
    all_origins = {m.origin for m in live}
    supported = {p: o for p, o in support.items() if o}
    rules: list[str] = []
    overtaken = [m for m in matter.members if m.overtaken_by]
    if overtaken:
        rules.append(f"{len(overtaken)} claim(s) overtaken by later reporting are left out of the count: "
                     + ", ".join(f"{m.claim_id} (by {m.overtaken_by})" for m in overtaken))
    denials = [(p, d, s) for p, deniers in deny.items() for d in deniers for s in supported.get(p, set()) if d != s]
    distinct_sides = len(supported) >= 2 and len(set().union(*supported.values())) >= 2
    status, conflict, strong = "single-source", None, False
    if denials:
        status, conflict = "contested", "denial"
        p, d, s = denials[0]
        rules.append(f"contested (denial): {_name(d, origins)} denies position {p}, which {_name(s, origins)} supports")
    elif distinct_sides:
        status = "contested"
        positions = {p.id: p for p in matter.positions}
        if all(_is_figure_position(matter, pid, claims) for pid in supported):
            conflict = "numeric-discrepancy"
            rules.append(f"contested (numeric discrepancy): positions {', '.join(sorted(supported))} each report a different figure for the same question")
        elif _one_fact(supported, positions):
            conflict = "framing"
            rules.append(f"contested (framing): positions {', '.join(sorted(supported))} tell the same fact in different words")
        else:
            conflict = "contradiction"
            rules.append("contested (contradiction): " + "; ".join(
                f"{pid} held by {', '.join(_name(o, origins) for o in sorted(holders))}" for pid, holders in sorted(supported.items())))
    elif supported and len(agreeing := max(supported.values(), key=len)) >= 2:
        status = "corroborated"
        camps = {(origins[o].camp or "").casefold() for o in agreeing if o in origins and origins[o].camp}
        strong = len(camps) >= 2
        rules.append(f"corroborated: {len(agreeing)} independent origins take the same position"
                     + (f"; strong: they come from {len(camps)} different camps" if strong else ""))
    else:
        rules.append("single-source: no position is held by two independent origins" if all_origins else "single-source: no live claim")
    return matter.model_copy(update={
        "status": status, "conflict": conflict, "strong": strong, "independent_origins": len(all_origins),
        "new_today": any(claims[m.claim_id].report_id in primary_reports for m in live), "rules": rules,
    })


def _name(origin_id: str, origins: dict[str, Origin]) -> str:
    origin = origins.get(origin_id)
    return f"{origin.name} ({origin_id})" if origin else origin_id


def _is_figure_position(matter: Matter, position: str, claims: dict[str, Claim]) -> bool:
    holders = [m for m in matter.live if m.position == position and m.stance == "supports"]
    return bool(holders) and all(claims[m.claim_id].figures for m in holders)


def _one_fact(supported: dict[str, set[str]], positions) -> bool:
    roots = set()
    for pid in supported:
        position = positions.get(pid)
        roots.add(position.frames if position is not None and position.frames else pid)
    return len(roots) == 1


def label_all(matters: list[Matter], claims: dict[str, Claim], origins: list[Origin], primary_reports: set[str]) -> tuple[list[Matter], list[Notice]]:
    checked, notes = check_overtaken(matters, claims)
    by_id = {o.id: o for o in origins}
    return [label(m, claims, by_id, primary_reports) for m in checked], notes
