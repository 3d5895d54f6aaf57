"""Why claims were grouped, and why a group got its label: Day + id -> text."""

from __future__ import annotations

from .models import Claim, Day, Group


class UnknownId(KeyError):
    pass


def _claim_lines(claim: Claim, relation: str | None = None) -> list[str]:
    head = f"{claim.id}" + (f" ({relation})" if relation else "")
    facts = [f"modality {claim.modality}", f"event {claim.event_type}", f"places {', '.join(claim.locations) or 'none'}"]
    if claim.control:
        facts.append(f"says {claim.control} forces hold it")
    for figure in claim.figures:
        facts.append(f"figure {figure.value_text} {figure.counted}" + (f" ({figure.qualifier})" if figure.qualifier else "") + (f", as of {figure.as_of}" if figure.as_of else ""))
    return [
        f"  {head}: {claim.statement}",
        f"      origin: {claim.origin}; chain: {claim.chain}; report {claim.report_id} ({claim.published or 'undated'}), chars {claim.start}-{claim.end}",
        f"      {'; '.join(facts)}",
        f"      quote: “{claim.quote}”",
    ]


def explain_group(day: Day, group: Group) -> str:
    claims = {c.id: c for c in day.claims}
    label = group.status + (f" ({group.conflict})" if group.conflict else "") + (", opposing parties agree" if group.strong else "")
    lines = [
        f"{group.id} · {group.matter}: {label}",
        f"independent origins: {group.independent_origins} ({'; '.join(group.origins)})",
        "why these claims belong together, and why this label:",
        *(f"  - {reason}" for reason in group.reasons),
        "claims:",
    ]
    for member in group.members:
        lines.extend(_claim_lines(claims[member.claim_id], member.relation))
    return "\n".join(lines)


def explain(day: Day, ident: str) -> str:
    ident = ident.strip().upper()
    groups = {g.id: g for g in day.groups}
    if ident in groups:
        return explain_group(day, groups[ident])
    claims = {c.id: c for c in day.claims}
    if ident not in claims:
        raise UnknownId(ident)
    parts = ["\n".join(["claim:", *_claim_lines(claims[ident])])]
    parts.extend(explain_group(day, g) for g in day.groups if ident in g.claim_ids)
    return "\n\n".join(parts)
