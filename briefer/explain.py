"""Why claims share a matter, why speakers are one origin, and which rule
produced each label: Day + id -> text."""

from __future__ import annotations

from .models import Claim, Day, Matter, Member, Origin


class UnknownId(KeyError):
    pass


def _claim_lines(claim: Claim, member: Member | None, origins: dict[str, Origin], matter: Matter | None) -> list[str]:
    head = claim.id
    if member is not None and matter is not None:
        position = next((p.text for p in matter.positions if p.id == member.position), member.position)
        head += f" ({member.stance} {member.position}: {position}" + (f"; overtaken by {member.overtaken_by}" if member.overtaken_by else "") + ")"
    facts = [f"modality {claim.modality}", f"extracted matter {claim.matter!r} -> {claim.position!r}"]
    for figure in claim.figures:
        facts.append(f"figure {figure.value:g} {figure.unit} ({figure.counted})" + (f", {figure.qualifier}" if figure.qualifier else "") + (f", as of {figure.as_of}" if figure.as_of else ""))
    origin = origins.get(member.origin) if member else None
    return [
        f"  {head}: {claim.statement}",
        f"      origin: {origin.name + ' (' + origin.id + ')' if origin else 'none'}; chain: {claim.chain}; report {claim.report_id} ({claim.published or 'undated'}), {claim.sentences}, chars {claim.start}-{claim.end}",
        f"      {'; '.join(facts)}",
        f"      quote: “{claim.quote}”",
    ]


def explain_matter(day: Day, matter: Matter) -> str:
    claims = {c.id: c for c in day.claims}
    origins = {o.id: o for o in day.origins}
    label = matter.status + (f" ({matter.conflict})" if matter.conflict else "") + (", origins of different camps agree" if matter.strong else "")
    used = list(dict.fromkeys(m.origin for m in matter.members))
    lines = [
        f"{matter.id} · {matter.title}: {label}",
        f"question: {matter.question}",
        f"independent origins: {matter.independent_origins}",
        "why these claims are one matter (the model's reason):",
        f"  - {matter.why}",
        "positions:",
        *(f"  {p.id}: {p.text}" + (f" (same fact as {p.frames}, other words)" if p.frames else "") for p in matter.positions),
        "origins, and why their speakers are one (the model's reasons):",
        *(f"  {o}: {origins[o].name} [{origins[o].camp or 'no camp'}]: named as {'; '.join(origins[o].speakers)}; {origins[o].why}" for o in used if o in origins),
        "the rules that produced the label (code):",
        *(f"  - {rule}" for rule in matter.rules),
        "claims:",
    ]
    for member in matter.members:
        lines.extend(_claim_lines(claims[member.claim_id], member, origins, matter))
    return "\n".join(lines)


def explain(day: Day, ident: str) -> str:
    ident = ident.strip().upper()
    matters = {m.id: m for m in day.matters}
    if ident in matters:
        return explain_matter(day, matters[ident])
    claims = {c.id: c for c in day.claims}
    if ident not in claims:
        raise UnknownId(ident)
    origins = {o.id: o for o in day.origins}
    home = next((m for m in day.matters if ident in m.claim_ids), None)
    member = next((x for x in home.members if x.claim_id == ident), None) if home else None
    parts = ["\n".join(["claim:", *_claim_lines(claims[ident], member, origins, home)])]
    if home is not None:
        parts.append(explain_matter(day, home))
    return "\n\n".join(parts)
